import { hash } from 'node:crypto';
import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { cacheMessages } from '../cache.messages.js';

/** A key option as the runtime sees it, with the method's argument types erased. */
export type KeyOption<K> = K | ((...args: unknown[]) => K);

/**
 * How the cache names things in the store. A call's key (given, or made from the method and its
 * arguments) is relative to a namespace; the store key is `<namespace>:<key>`, and the key of its
 * lock sits outside the namespace's keys (`<namespace>#lock:<key>`), so evictions never see it.
 */

const MAX_DEPTH = 64;

/**
 * A canonical text form of `value` for cache keys: equal data gives equal text whatever the order
 * of object keys, Map entries or Set items. Object fields holding `undefined` are left out (as
 * JSON does), class instances keep their class name, Dates their time, bytes their content.
 */
export function canonicalize(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'u';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH)
        throw unkeyable(`values nested deeper than ${MAX_DEPTH} levels (or circular)`);
      return canonicalObject(value, depth + 1);
    default:
      throw unkeyable(`a ${typeof value}`);
  }
}

function canonicalObject(value: object, depth: number): string {
  if (Array.isArray(value))
    return `[${value.map((v: unknown) => canonicalize(v, depth)).join(',')}]`;
  if (value instanceof Date) return `D${value.getTime()}`;
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `${value.constructor.name}(${bytes.toString('base64')})`;
  }
  if (value instanceof Map) {
    const entries = [...value].map(
      ([k, v]) => `${canonicalize(k, depth)}=>${canonicalize(v, depth)}`,
    );
    return `Map{${entries.sort().join(',')}}`;
  }
  if (value instanceof Set) {
    return `Set{${[...value]
      .map((v) => canonicalize(v, depth))
      .sort()
      .join(',')}}`;
  }
  if (value instanceof RegExp) return String(value);
  const record = value as Record<string, unknown>;
  const fields: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field !== undefined) fields.push(`${JSON.stringify(key)}:${canonicalize(field, depth)}`);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  const name = proto === Object.prototype || proto === null ? '' : value.constructor.name;
  return `${name}{${fields.join(',')}}`;
}

function unkeyable(what: string): KvsInvalidArgumentError {
  return new KvsInvalidArgumentError(
    `Cannot build a cache key from ${what} among the arguments. Give the decorator a key, e.g. ` +
      '@Cacheable({ key: (id: string) => `user:${id}` }).',
  );
}

/**
 * A stable hash of a method's arguments (SHA-1 of their canonical form, base64url, 27
 * characters): `hashArguments([{ a: 1, b: 2 }])` equals `hashArguments([{ b: 2, a: 1 }])`.
 */
export function hashArguments(args: readonly unknown[]): string {
  return hash('sha1', canonicalArguments(args), 'base64url');
}

/** `canonicalize(args)`, with a fast path for the common case: a few strings and numbers. */
function canonicalArguments(args: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (i > 0) text += ',';
    if (typeof arg === 'string') text += JSON.stringify(arg);
    else if (typeof arg === 'number' && arg !== 0) text += String(arg);
    else return canonicalize(args);
  }
  return `${text}]`;
}

/** The default key of a decorated method: `<Class>.<method>:<hash of the arguments>`. */
export function defaultCacheKey(label: string, args: readonly unknown[]): string {
  return `${label}:${hashArguments(args)}`;
}

/** The value of a key option for one call's arguments. */
export function evaluateKey<K>(option: KeyOption<K>, args: unknown[]): K {
  return typeof option === 'function' ? (option as (...args: unknown[]) => K)(...args) : option;
}

/** The key of one call of the method `label`: its `key` option, or the default key. */
export function methodKey(
  label: string,
  key: KeyOption<string> | undefined,
  args: unknown[],
): string {
  if (key === undefined) return defaultCacheKey(label, args);
  return checkedKey(label, evaluateKey(key, args));
}

/** `key` if it is a non-empty string; otherwise the method `label`'s key function is wrong. */
export function checkedKey(label: string, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  throw new KvsInvalidArgumentError(cacheMessages.badKey(label, describeValue(key)));
}

/** The store key of `key` in the plan's namespace: `<namespace>:<key>`. */
export const valueKey = (plan: { readonly namespace: string }, key: string): string =>
  `${plan.namespace}:${key}`;

/** The store key of `key`'s lock: outside the namespace's keys, so evictions never see it. */
export const lockKey = (plan: { readonly namespace: string }, key: string): string =>
  `${plan.namespace}#lock:${key}`;
