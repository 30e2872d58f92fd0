/**
 * Names a rejected value in an error or log line by its type and size, never by its content: a
 * string given where a number belongs may be a password, a token or a user's data. Numbers,
 * booleans, `null` and `undefined` are printed as they are (they say what was wrong, as in
 * "ttl: got -5", and hold no secret); nothing else is.
 *
 * Imports nothing from the project, so every layer (store, module, cache, rate limiting,
 * adapters) can use it.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    try {
      return describeObject(value);
    } catch {
      return 'an object'; // a Proxy whose traps throw
    }
  }
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'number':
      return String(value);
    case 'string':
      return value.length === 0 ? 'an empty string' : `a string (${count(value.length, 'char')})`;
    case 'bigint':
      return 'a bigint';
    case 'symbol':
      return 'a symbol';
    default:
      return 'a function';
  }
}

function describeObject(value: object): string {
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `${withArticle(className(value))} of ${count(value.byteLength, 'byte')}`;
  }
  if (value instanceof Map || value instanceof Set) {
    return `${withArticle(className(value))} of ${count(value.size, 'entry', 'entries')}`;
  }
  const name = className(value);
  if (name !== 'Object') return `an instance of ${name}`;
  const keys = Object.keys(value).length;
  return keys === 0 ? 'an empty object' : `an object with ${count(keys, 'key')}`;
}

/** The name of the value's class ('Object' for plain and null-prototype objects). */
function className(value: object): string {
  const type: unknown = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)
    ?.constructor;
  return typeof type === 'function' && type.name !== '' ? type.name : 'Object';
}

function withArticle(noun: string): string {
  return `${/^[AEIO]/i.test(noun) ? 'an' : 'a'} ${noun}`; // 'a Uint8Array', 'an Int8Array'
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
