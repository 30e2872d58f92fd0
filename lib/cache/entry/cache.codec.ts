import { KvsInvalidArgumentError, type KvsCodec } from '../../store/index.js';

/**
 * Tagged JSON: plain JSON for plain data, and `{ "$t": tag, ... }` objects for what JSON loses.
 * A plain object that has its own `$t` key is wrapped (`{ "$t": "o", "v": ... }`), so no value
 * is ever mistaken for a tag.
 */
const TAG = '$t';
const MAX_DEPTH = 512;

const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function unsupported(what: string): never {
  throw new KvsInvalidArgumentError(
    `The cache codec cannot encode ${what}. Return plain data (objects, arrays, strings, numbers, ` +
      'Date, BigInt, Buffer, Map, Set), or pass your own codec to KvsCacheModule.',
  );
}

/** Sets `obj[key]`, also when the key is `__proto__` (which would otherwise set the prototype). */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else obj[key] = value;
}

function toJson(value: unknown, depth: number): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
        ? value
        : { [TAG]: 'n', v: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { [TAG]: 'b', v: value.toString() };
    case 'undefined':
      return { [TAG]: 'u' };
    case 'object':
      if (value === null) return null;
      if (depth > MAX_DEPTH)
        unsupported(`values nested deeper than ${MAX_DEPTH} levels (or circular)`);
      return objectToJson(value, depth + 1);
    default:
      return unsupported(`a ${typeof value}`);
  }
}

function objectToJson(value: object, depth: number): Json {
  if (Array.isArray(value)) {
    const out: Json[] = new Array<Json>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = toJson(value[i], depth);
    return out;
  }
  if (value instanceof Date) {
    const time = value.getTime();
    return { [TAG]: 'D', v: Number.isNaN(time) ? null : time };
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    if (Buffer.isBuffer(value)) return { [TAG]: 'B', v: bytes };
    const name = value.constructor.name;
    if (!(name in TYPED_ARRAYS)) unsupported(`a ${name}`);
    return { [TAG]: 'T', c: name, v: bytes };
  }
  if (value instanceof Map) {
    const entries: Json[] = [];
    for (const [k, v] of value) entries.push([toJson(k, depth), toJson(v, depth)]);
    return { [TAG]: 'M', v: entries };
  }
  if (value instanceof Set) {
    const items: Json[] = [];
    for (const v of value) items.push(toJson(v, depth));
    return { [TAG]: 'S', v: items };
  }
  if (value instanceof RegExp) return { [TAG]: 'R', v: value.source, f: value.flags };
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJson(toJSON.call(value) as unknown, depth);
  const out: JsonObject = {};
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) put(out, key, toJson(record[key], depth));
  return Object.hasOwn(record, TAG) ? { [TAG]: 'o', v: out } : out;
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) value[i] = revive(item);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  const tag = obj[TAG];
  return typeof tag === 'string' ? fromTag(tag, obj) : reviveFields(obj);
}

function reviveFields(obj: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(obj)) {
    const item = obj[key];
    if (typeof item === 'object' && item !== null) {
      const revived = revive(item);
      if (revived !== item) put(obj, key, revived);
    }
  }
  return obj;
}

function fromTag(tag: string, obj: Record<string, unknown>): unknown {
  const v = obj['v'];
  switch (tag) {
    case 'u':
      return undefined;
    case 'n':
      return Number(v);
    case 'b':
      return BigInt(v as string);
    case 'D':
      return new Date(v === null ? NaN : (v as number));
    case 'B':
      return Buffer.from(v as string, 'base64');
    case 'T':
      return typedArray(obj['c'], v as string);
    case 'M':
      return new Map((v as [unknown, unknown][]).map(([k, x]) => [revive(k), revive(x)]));
    case 'S':
      return new Set((v as unknown[]).map(revive));
    case 'R':
      return new RegExp(v as string, obj['f'] as string);
    case 'o':
      return reviveFields(v as Record<string, unknown>);
    default:
      throw new KvsInvalidArgumentError(`Cannot decode a cached value: unknown tag ${tag}.`);
  }
}

function typedArray(name: unknown, base64: string): unknown {
  if (typeof name !== 'string' || !(name in TYPED_ARRAYS)) {
    throw new KvsInvalidArgumentError(`Cannot decode a cached value: unknown array type.`);
  }
  const bytes = Buffer.from(base64, 'base64');
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return new TYPED_ARRAYS[name as TypedArrayName](copy);
}

/**
 * The cache's default codec: JSON that also round-trips `undefined`, `NaN`, `±Infinity`, `-0`,
 * BigInt, Date, Buffer and typed arrays, Map, Set and RegExp, at any depth, and keeps object
 * keys whose value is `undefined`. Other class instances are stored like JSON does (their
 * `toJSON()`, or their own enumerable fields) and come back as plain objects. Functions and
 * symbols are rejected. Each `decode` builds new objects, so no two callers share one.
 */
export const taggedJsonCodec: KvsCodec<unknown> = {
  encode: (value) => Buffer.from(JSON.stringify(toJson(value, 0)), 'utf8'),
  decode(bytes) {
    const text = bytes.toString('utf8');
    const value: unknown = JSON.parse(text);
    // Plain JSON (no tag anywhere in the text) needs no walk: most API payloads are plain JSON.
    return text.includes('"$t"') ? revive(value) : value;
  },
};
