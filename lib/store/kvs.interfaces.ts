/**
 * The store contract, ported from omnistorage-core `kvs` and extended with the atomic operations
 * that sessions, one-time tokens, counters and locks need. Every backend honours it identically;
 * one conformance suite holds them to it. All durations are milliseconds.
 */

/** The basic key-value contract (the seed's `Store`). */
export interface Store {
  /** The value of `key`. Rejects `KvsNotFoundError` when the key is missing or expired. */
  get(key: string): Promise<Buffer>;
  /**
   * Stores a copy of `value` under `key`, replacing any value and TTL it had.
   * `ttlMs` 0 or omitted: never expires; fractional milliseconds round up.
   */
  set(key: string, value: Uint8Array, ttlMs?: number): Promise<void>;
  /** Removes `key`. A missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Waits for operations in flight, then releases the store's resources. Idempotent. */
  close(): Promise<void>;
}

/** A store that can list its keys (the seed's `ListableStore`). */
export interface ListableStore extends Store {
  /**
   * Keys starting with the literal `prefix` ('' or omitted: every key), sorted ascending, without
   * duplicates or expired keys, and without the store's own `keyPrefix`.
   */
  list(prefix?: string): Promise<string[]>;
  /**
   * Iterates the keys starting with `prefix` in batches, for key spaces too large for one array.
   * Unordered; on Redis a key may be yielded twice if the key space is rehashed meanwhile, and
   * keys added or removed during the scan may or may not appear.
   */
  scan(prefix?: string, options?: ScanOptions): AsyncIterableIterator<string>;
}

/** Options of {@link ListableStore.scan}. */
export interface ScanOptions {
  /** Keys fetched per round trip (a hint; default 1000). */
  batchSize?: number;
}

/**
 * The full store: the seed's contract plus atomic operations, each one round trip on Redis and
 * atomic across processes.
 */
export interface KvsStore extends ListableStore {
  /**
   * Which backend this is: 'memory' or 'redis' for the built-in stores, another name for a store
   * of your own. Extensions (caching, rate limiting, adapters) read it instead of `instanceof`,
   * which fails when two copies of the package are loaded.
   */
  readonly backend: string;
  /** The value of `key`, or `undefined` when it is missing or expired. */
  tryGet(key: string): Promise<Buffer | undefined>;
  /** The values of `keys` in order; `undefined` for each missing key. */
  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]>;
  /** True when `key` exists and has not expired. */
  has(key: string): Promise<boolean>;
  /** Stores `value` only when `key` is missing. Resolves true when it stored the value. */
  setIfAbsent(key: string, value: Uint8Array, ttlMs?: number): Promise<boolean>;
  /** Gets and deletes `key` in one atomic step: of concurrent callers, one gets the value. */
  take(key: string): Promise<Buffer | undefined>;
  /**
   * Adds `by` (a safe integer, default 1) to the integer stored at `key` and returns the result.
   * A missing key counts as 0 and is created with `ttlMs` (0 or omitted: no expiry); an existing
   * key keeps its TTL. Rejects `KvsValueTypeError` when the value is not a decimal integer.
   */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>;
  /**
   * Gives an existing key a new TTL without touching its value (0: never expires). Resolves true
   * when the key existed. Atomic: it never undoes a concurrent write, as a read + set would.
   */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining time to live in ms; `Infinity` when the key never expires; `undefined` if missing. */
  ttl(key: string): Promise<number | undefined>;
  /** Deletes `key` only while it still holds `expected` (a lock release). True when it deleted. */
  deleteIfEquals(key: string, expected: Uint8Array): Promise<boolean>;
  /** Deletes every key in `keys`; resolves with how many existed. */
  deleteMany(keys: readonly string[]): Promise<number>;
  /** Answers once the backend is reachable; rejects `KvsConnectionError` otherwise. */
  ping(): Promise<void>;
}
