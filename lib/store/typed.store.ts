import { KvsInvalidArgumentError, KvsNotFoundError } from './kvs.errors.js';
import type { KvsStore } from './kvs.interfaces.js';

/** Turns values into bytes and back. */
export interface KvsCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Buffer): T;
}

/** UTF-8 JSON. `undefined`, functions and symbols cannot be stored (they are rejected). */
export const jsonCodec: KvsCodec<unknown> = {
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new KvsInvalidArgumentError(
        `Invalid value: JSON cannot encode ${typeof value}. Store null or an object instead.`,
      );
    }
    return Buffer.from(text, 'utf8');
  },
  decode: (bytes) => JSON.parse(bytes.toString('utf8')) as unknown,
};

/** UTF-8 strings. */
export const stringCodec: KvsCodec<string> = {
  encode(value) {
    if (typeof value !== 'string') {
      throw new KvsInvalidArgumentError(`Invalid value: expected a string, got ${typeof value}.`);
    }
    return Buffer.from(value, 'utf8');
  },
  decode: (bytes) => bytes.toString('utf8'),
};

/**
 * A view of a store holding values of one type, encoded by a codec (JSON by default), under an
 * optional key prefix. Nothing is hand-encoded.
 */
export interface TypedStore<T> {
  get(key: string): Promise<T>;
  tryGet(key: string): Promise<T | undefined>;
  getMany(keys: readonly string[]): Promise<(T | undefined)[]>;
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  setIfAbsent(key: string, value: T, ttlMs?: number): Promise<boolean>;
  take(key: string): Promise<T | undefined>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Keys under this view's prefix, without it. */
  list(prefix?: string): Promise<string[]>;
}

/** Options of {@link createTypedStore}. */
export interface TypedStoreOptions<T> {
  /** Encodes the values; default {@link jsonCodec}. */
  codec?: KvsCodec<T>;
  /** Prepended to every key of this view, e.g. 'user:'. */
  prefix?: string;
}

/**
 * A typed view of `store`, e.g. `createTypedStore<User>(store, { prefix: 'user:' })`.
 * Values go through the codec; keys through the prefix.
 */
export function createTypedStore<T>(
  store: KvsStore,
  options: TypedStoreOptions<T> = {},
): TypedStore<T> {
  const codec = options.codec ?? (jsonCodec as KvsCodec<T>);
  const prefix = options.prefix ?? '';
  const k = (key: string) => (typeof key === 'string' && key.length > 0 ? prefix + key : key);
  const decode = (bytes: Buffer | undefined) =>
    bytes === undefined ? undefined : codec.decode(bytes);
  return {
    async get(key) {
      const bytes = await store.tryGet(k(key));
      if (bytes === undefined) throw new KvsNotFoundError(key);
      return codec.decode(bytes);
    },
    tryGet: async (key) => decode(await store.tryGet(k(key))),
    getMany: async (keys) => (await store.getMany(keys.map(k))).map(decode),
    set: async (key, value, ttlMs) => store.set(k(key), codec.encode(value), ttlMs),
    setIfAbsent: async (key, value, ttlMs) => store.setIfAbsent(k(key), codec.encode(value), ttlMs),
    take: async (key) => decode(await store.take(k(key))),
    has: (key) => store.has(k(key)),
    delete: (key) => store.delete(k(key)),
    list: async (sub = '') =>
      (await store.list(prefix + sub)).map((key) => key.slice(prefix.length)),
  };
}
