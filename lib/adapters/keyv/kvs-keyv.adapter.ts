import { EventEmitter } from 'node:events';
import { KvsInvalidArgumentError, type KvsStore } from '../../store/index.js';
import { assertKvsStore } from '../../store/kvs.backend.js';
import {
  CAPABILITIES,
  contractError,
  toMajor,
  toTtlMs,
  type KeyvMajor,
  type KvsKeyvCapabilities,
} from './kvs-keyv.contract.js';
import { toStoreKey } from './kvs-keyv.keys.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { toInvalid } from '../../store/kvs.errors.js';

/** Options of {@link KvsKeyvAdapter}. */
export interface KvsKeyvAdapterOptions {
  /**
   * Prepended to every key this adapter writes, before Keyv's `<namespace>:`. Default `'keyv:'`,
   * so `clear()` can never reach the other data of a shared store (sessions, rate limits).
   */
  prefix?: string;
  /**
   * The Keyv major whose adapter contract to follow. Omitted (the default), the Keyv that the
   * adapter is handed to tells: Keyv 6 reads `capabilities`, Keyv 5 reads `opts`, each in its
   * constructor. Set it only to call the adapter without Keyv (e.g. a storage test suite).
   */
  keyv?: KeyvMajor;
}

/**
 * What Keyv 5 reads from `adapter.opts`. Keyv 5 only wires `keyv.iterator()` for adapters whose
 * `opts.dialect` it knows; this adapter iterates the way its Redis adapter does (keys carry
 * `<namespace>:`, values are the serialized text), so it declares that dialect.
 */
export interface KvsKeyvAdapterOpts {
  readonly dialect: 'redis';
  readonly url: string;
  readonly prefix: string;
}

/** A Keyv 5 `setMany` entry (relative `ttl`) or a Keyv 6 one (absolute `expires`). */
export interface KvsKeyvEntry {
  key: string;
  value: unknown;
  ttl?: number;
  expires?: number;
}

/** Keys read or deleted per round trip by `iterator` and `clear`. */
const BATCH = 200;

/** Option names of KvsKeyvAdapter, checked at runtime. */
const ADAPTER_OPTIONS: OptionNames<KvsKeyvAdapterOptions> = { prefix: true, keyv: true };

/**
 * A Keyv storage adapter on a nestjs-kvs store, so Keyv, cache-manager and @nestjs/cache-manager
 * can keep their cache in Redis (standalone, Cluster, Sentinel) or memory. Serves Keyv 5 and
 * Keyv 6, whose adapter contracts differ (see {@link KeyvMajor}); it follows the contract of the
 * Keyv it is handed to. Keys are `<prefix><namespace>:<key>` under both, TTLs are enforced by the
 * store, and `clear()` deletes only this adapter's keys in Keyv's namespace.
 *
 * Give each Keyv instance its own adapter: Keyv writes its namespace into the adapter.
 * `disconnect()` leaves the store open; whoever created the store (e.g. KvsModule) closes it.
 */
export class KvsKeyvAdapter extends EventEmitter {
  /** Keyv's namespace; Keyv sets it. Keys, `clear()` and `iterator()` stay within it. */
  namespace?: string | undefined;
  readonly #store: KvsStore;
  readonly #prefix: string;
  readonly #opts: KvsKeyvAdapterOpts;
  #major: KeyvMajor | undefined;

  /** `store`: the nestjs-kvs store to keep the cache in, e.g. `app.get(KVS_STORE)`. */
  constructor(store: KvsStore, options: KvsKeyvAdapterOptions = {}) {
    super();
    assertKvsStore(store, 'KvsKeyvAdapter');
    assertKnownKeys('the KvsKeyvAdapter options', options, ADAPTER_OPTIONS, toInvalid);
    const { prefix = 'keyv:' } = options;
    if (typeof prefix !== 'string') {
      throw new KvsInvalidArgumentError(
        `Invalid KvsKeyvAdapter prefix: expected a string such as 'keyv:', got ${typeof prefix}.`,
      );
    }
    this.#store = store;
    this.#prefix = prefix;
    this.#major = toMajor(options.keyv);
    this.#opts = { dialect: 'redis', url: `nestjs-kvs:${store.backend}`, prefix };
  }

  /** Keyv 6 reads this to learn that the adapter takes absolute expiries (its contract). */
  get capabilities(): KvsKeyvCapabilities {
    if (this.#major === 5) throw contractError('already serves a Keyv 5, and now a Keyv 6 too');
    this.#major = 6;
    return CAPABILITIES;
  }

  /** The adapter's settings, as Keyv 5 expects to find them. */
  get opts(): KvsKeyvAdapterOpts {
    this.#major ??= 5;
    return this.#opts;
  }

  /** The stored (serialized) value of `key`, or `undefined`. */
  async get(key: string): Promise<string | undefined> {
    return (await this.#store.tryGet(this.#key(key)))?.toString('utf8');
  }

  /** The stored values of `keys` in order, `undefined` for each miss. One round trip. */
  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    const values = await this.#store.getMany(keys.map((key) => this.#key(key)));
    return values.map((bytes) => bytes?.toString('utf8'));
  }

  /**
   * Stores `value` (Keyv's serialized text) until it expires: `ttlOrExpires` is a TTL in ms under
   * Keyv 5 (omitted or 0: none), an absolute expiry in Unix ms under Keyv 6 (omitted: none; past:
   * the key is deleted).
   */
  async set(key: string, value: unknown, ttlOrExpires?: number): Promise<boolean> {
    const [write] = this.#writes([{ key, value, ttl: ttlOrExpires, expires: ttlOrExpires }]);
    await write!();
    return true;
  }

  /** Stores several entries; resolves one `true` per entry. */
  async setMany(entries: KvsKeyvEntry[]): Promise<boolean[]> {
    const writes = this.#writes(entries); // all or none: every entry is checked first
    await Promise.all(writes.map((write) => write()));
    return entries.map(() => true);
  }

  /** Deletes `key`; true when it existed. */
  async delete(key: string): Promise<boolean> {
    return (await this.#store.deleteMany([this.#key(key)])) > 0;
  }

  /**
   * Deletes `keys`. Keyv 5: true when at least one existed. Keyv 6: whether each one existed.
   */
  async deleteMany(keys: string[]): Promise<boolean | boolean[]> {
    const storeKeys = keys.map((key) => this.#key(key));
    if (this.#contract() === 5) {
      return storeKeys.length > 0 && (await this.#store.deleteMany(storeKeys)) > 0;
    }
    // One DEL per key (pipelined on Redis): DEL of several keys only counts them.
    const counts = await Promise.all(storeKeys.map((key) => this.#store.deleteMany([key])));
    return counts.map((count) => count > 0);
  }

  /** Whether `key` exists and has not expired. */
  async has(key: string): Promise<boolean> {
    return this.#store.has(this.#key(key));
  }

  /** Whether each of `keys` exists. One round trip. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    const values = await this.#store.getMany(keys.map((key) => this.#key(key)));
    return values.map((bytes) => bytes !== undefined);
  }

  /**
   * Deletes every key of this adapter in Keyv's namespace (everything under `prefix` when Keyv has
   * no namespace), and nothing else in the store.
   */
  async clear(): Promise<void> {
    const scope = this.#scope();
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

  /**
   * Yields `[key, serialized value]` for every entry in the namespace; Keyv decodes and filters
   * them. Keys are `<namespace>:<key>` under Keyv 5 (which strips the namespace), bare under
   * Keyv 6. A key too long for the store comes back in its digest form,
   * `<first 200 chars>:#<SHA-256>`: the full key is not stored.
   */
  async *iterator(): AsyncGenerator<[string, string], void> {
    const scope = this.#scope();
    // Keyv 5 expects the namespace in front of each key, as it wrote it.
    const lead = this.#contract() === 5 && this.namespace ? `${this.namespace}:` : '';
    let batch: string[] = [];
    const flush = async () => {
      const values = await this.#store.getMany(batch);
      const entries = batch.flatMap((key, i): [string, string][] => {
        const bytes = values[i];
        return bytes === undefined
          ? []
          : [[lead + key.slice(scope.length), bytes.toString('utf8')]];
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

  /** The contract in force; an adapter no Keyv has claimed and no option fixed cannot guess. */
  #contract(): KeyvMajor {
    if (this.#major === undefined) {
      throw contractError('was called before any Keyv took it, so it cannot tell Keyv 5 from 6');
    }
    return this.#major;
  }

  /** `<prefix><namespace>:`, or `<prefix>` without a namespace. */
  #scope(): string {
    return this.namespace ? `${this.#prefix}${this.namespace}:` : this.#prefix;
  }

  /** The store key of a key as Keyv passed it. */
  #key(key: string): string {
    if (typeof key !== 'string') {
      throw new KvsInvalidArgumentError(`KvsKeyvAdapter keys are strings, got ${typeof key}.`);
    }
    const namespace = this.namespace;
    if (this.#contract() === 5 && namespace) {
      // Keyv 5 has already put `<namespace>:` in front, unless it was told not to.
      if (!key.startsWith(`${namespace}:`)) {
        throw new KvsInvalidArgumentError(
          `KvsKeyvAdapter got a key without Keyv's '${namespace}:' prefix: this Keyv 5 was created with useKeyPrefix: false, which would put every namespace's keys together. Remove useKeyPrefix: false (the adapter keeps Keyv 5's prefix), or use Keyv 6, which leaves namespaces to the adapter.`,
        );
      }
      return toStoreKey(this.#scope(), key.slice(namespace.length + 1));
    }
    return toStoreKey(this.#scope(), key);
  }

  /** Checks every entry, then returns one store write per entry. */
  #writes(entries: KvsKeyvEntry[]): (() => Promise<void>)[] {
    const major = this.#contract();
    const now = Date.now();
    return entries.map(({ key, value, ttl, expires }) => {
      const storeKey = this.#key(key);
      const bytes = encode(value);
      const ms = toTtlMs(major, major === 5 ? ttl : expires, now);
      if (major === 6 && ms !== undefined && ms <= 0) {
        return async () => void (await this.#store.delete(storeKey)); // already expired
      }
      return () => this.#store.set(storeKey, bytes, ms);
    });
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
