import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import { KvsInvalidArgumentError, type KvsStore } from '../../store/index.js';

/** Options of {@link KvsKeyvAdapter}. */
export interface KvsKeyvAdapterOptions {
  /**
   * Prepended to every key this adapter writes, before Keyv's `<namespace>:`. Default `'keyv:'`,
   * so `clear()` can never reach the other data of a shared store (sessions, rate limits).
   */
  prefix?: string;
}

/**
 * What Keyv reads from `adapter.opts`. Keyv 5 only wires `keyv.iterator()` for adapters whose
 * `opts.dialect` it knows; this adapter iterates the way its Redis adapter does (keys carry
 * `<namespace>:`, values are the serialized text), so it declares that dialect.
 */
export interface KvsKeyvAdapterOpts {
  readonly dialect: 'redis';
  readonly url: string;
  readonly prefix: string;
}

/** Keys read or deleted per round trip by `iterator` and `clear`. */
const BATCH = 200;

/**
 * A Keyv storage adapter on a nestjs-kvs store, so Keyv, cache-manager and @nestjs/cache-manager
 * can keep their cache in Redis (standalone, Cluster, Sentinel) or memory. TTLs are in ms and
 * enforced by the store; `clear()` deletes only this adapter's keys in Keyv's namespace.
 *
 * Give each Keyv instance its own adapter: Keyv writes its namespace into the adapter.
 * `disconnect()` leaves the store open; whoever created the store (e.g. KvsModule) closes it.
 */
export class KvsKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv's namespace; Keyv sets it. `clear()` and `iterator()` stay within it. */
  namespace?: string | undefined;
  /** The adapter's settings, as Keyv expects to find them. */
  readonly opts: KvsKeyvAdapterOpts;
  readonly #store: KvsStore;
  readonly #prefix: string;

  /** `store`: the nestjs-kvs store to keep the cache in, e.g. `app.get(KVS_STORE)`. */
  constructor(store: KvsStore, options: KvsKeyvAdapterOptions = {}) {
    super();
    if (typeof store?.getMany !== 'function') {
      throw new KvsInvalidArgumentError(
        'KvsKeyvAdapter needs a nestjs-kvs store: new KvsKeyvAdapter(store) with the store from KvsModule (KVS_STORE), createMemoryStore() or createRedisStore().',
      );
    }
    const { prefix = 'keyv:' } = options;
    if (typeof prefix !== 'string') {
      throw new KvsInvalidArgumentError(
        `Invalid KvsKeyvAdapter prefix: expected a string such as 'keyv:', got ${typeof prefix}.`,
      );
    }
    this.#store = store;
    this.#prefix = prefix;
    this.opts = { dialect: 'redis', url: `nestjs-kvs:${store.constructor.name}`, prefix };
  }

  /** The stored (serialized) value of `key`, or `undefined`. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const bytes = await this.#store.tryGet(this.#prefix + key);
    return bytes?.toString('utf8') as StoredData<Value> | undefined;
  }

  /** The stored values of `keys` in order, `undefined` for each miss. One round trip. */
  async getMany<Value>(keys: string[]): Promise<StoredData<Value | undefined>[]> {
    const values = await this.#store.getMany(keys.map((key) => this.#prefix + key));
    return values.map((bytes) => bytes?.toString('utf8') as StoredData<Value | undefined>);
  }

  /** Stores `value` (Keyv's serialized text) for `ttl` ms (omitted or 0: no expiry). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.#store.set(this.#prefix + key, encode(value), toTtl(ttl));
    return true;
  }

  /** Stores several entries; `keyv.setMany()` then resolves one `true` per entry. */
  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    const bytes = entries.map(({ value }) => encode(value)); // all or none: check first
    await Promise.all(
      entries.map(({ key, ttl }, i) => this.#store.set(this.#prefix + key, bytes[i]!, toTtl(ttl))),
    );
    // Keyv types this as void, yet keyv.setMany() resolves with it and documents booleans.
    return entries.map(() => true) as unknown as void;
  }

  /** Deletes `key`; true when it existed. */
  async delete(key: string): Promise<boolean> {
    return (await this.#store.deleteMany([this.#prefix + key])) > 0;
  }

  /** Deletes `keys`; true when at least one of them existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return false;
    return (await this.#store.deleteMany(keys.map((key) => this.#prefix + key))) > 0;
  }

  /** Whether `key` exists and has not expired. */
  async has(key: string): Promise<boolean> {
    return this.#store.has(this.#prefix + key);
  }

  /** Whether each of `keys` exists. One round trip. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    const values = await this.#store.getMany(keys.map((key) => this.#prefix + key));
    return values.map((bytes) => bytes !== undefined);
  }

  /**
   * Deletes every key of this adapter in Keyv's namespace (everything under `prefix` when Keyv has
   * no namespace), and nothing else in the store.
   */
  async clear(): Promise<void> {
    const scope = this.#scope(this.namespace);
    if (scope === '') {
      throw new KvsInvalidArgumentError(
        'KvsKeyvAdapter.clear() has neither a Keyv namespace nor an adapter prefix, so it would delete every key in the store. Give Keyv a namespace or the adapter a prefix.',
      );
    }
    let batch: string[] = [];
    for await (const key of this.#store.scan(scope, { batchSize: BATCH })) {
      batch.push(key);
      if (batch.length >= BATCH) {
        await this.#store.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.#store.deleteMany(batch);
  }

  /** Yields `[key, serialized value]` for every entry in `namespace`; Keyv decodes and filters them. */
  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<(string | Awaited<Value> | undefined)[], void> {
    const scope = this.#scope(namespace);
    let batch: string[] = [];
    const flush = async () => {
      const values = await this.#store.getMany(batch);
      const entries = batch.flatMap((key, i) => {
        const bytes = values[i];
        return bytes === undefined
          ? []
          : [[key.slice(this.#prefix.length), bytes.toString('utf8')]];
      });
      batch = [];
      return entries;
    };
    for await (const key of this.#store.scan(scope, { batchSize: BATCH })) {
      batch.push(key);
      if (batch.length >= BATCH) yield* await flush();
    }
    if (batch.length > 0) yield* await flush();
  }

  /** Resolves at once: the store belongs to whoever created it, who closes it. */
  async disconnect(): Promise<void> {}

  /** The store prefix of one namespace's keys (Keyv stores `<namespace>:<key>`). */
  #scope(namespace: string | undefined): string {
    return namespace ? `${this.#prefix}${namespace}:` : this.#prefix;
  }
}

/** Keyv hands its adapters serialized text; anything else means its serializer was turned off. */
function encode(value: unknown): Buffer {
  if (typeof value !== 'string') {
    throw new KvsInvalidArgumentError(
      `KvsKeyvAdapter stores text, got ${value === null ? 'null' : typeof value}. Keep Keyv's serializer (the default), or give Keyv one that returns a string.`,
    );
  }
  return Buffer.from(value, 'utf8');
}

/** Keyv's TTL (ms; undefined or 0 = none) in the store's terms. */
function toTtl(ttl: number | undefined): number | undefined {
  return ttl === undefined || ttl === 0 ? undefined : ttl;
}
