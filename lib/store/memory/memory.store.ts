import { MapSweep } from '../../shared/bounded-map.js';
import { describeValue } from '../../shared/describe.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import {
  KvsClosedError,
  KvsInvalidArgumentError,
  KvsNotFoundError,
  toInvalid,
} from '../kvs.errors.js';
import type { KvsStore, ScanOptions } from '../kvs.interfaces.js';
import type { KvsChannel } from '../kvs.channel.js';
import { MemoryChannel } from './memory.channel.js';
import {
  assertKey,
  assertKeys,
  assertValue,
  toPrefix,
  toScan,
  toStep,
  toTtl,
} from '../kvs.validation.js';
import { addToInteger } from '../kvs.integer.js';
import { compareKeys } from '../kvs.order.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most entries kept; past it an entry not used recently is evicted (second-chance LRU: a read
   * or write marks an entry, and eviction passes over marked entries once). Default: no limit.
   */
  maxEntries?: number;
  /** Milliseconds now, monotonic. Inject one in tests to move time without sleeping. */
  clock?: () => number;
  /** How often the background sweep removes expired entries, in ms (0 disables). Default 1000. */
  sweepIntervalMs?: number;
  /** Most entries the sweep examines per tick, so a huge map never blocks the loop. Default 10000. */
  sweepBatchSize?: number;
}

/** The option names of a memory store (checked at runtime: plain JS and variables escape tsc). */
export const MEMORY_STORE_OPTIONS: OptionNames<MemoryStoreOptions> = {
  maxEntries: true,
  clock: true,
  sweepIntervalMs: true,
  sweepBatchSize: true,
};

interface Entry {
  value: Buffer;
  /** Clock reading at which the entry expires; 0 = never. */
  expiresAt: number;
  /** Used since eviction last passed over it. */
  used: boolean;
}

/** Creates an in-process store: fast, but not shared across processes. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}

/**
 * The memory backend. Expiry is checked on every read, and an `unref()`'d timer sweeps a bounded
 * batch of entries per tick, so expired keys are reclaimed without a timer per key.
 *
 * The sweep is the shared {@link MapSweep}; the bound is not the shared `BoundedMap` on purpose:
 * that one keeps a Map in recency order by moving an entry to the end on every read (a delete and
 * a set), which costs the hot `get` several times over (about 8x on a bare 10k-entry Map here).
 * Second-chance marking sets a flag on read and reorders only when evicting.
 */
export class MemoryStore implements KvsStore {
  readonly backend = 'memory';
  readonly #map = new Map<string, Entry>();
  readonly #sweep = new MapSweep(this.#map, isExpired);
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #batch: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #channel: MemoryChannel | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new KvsInvalidArgumentError(
        `Invalid memory store options: expected an object, got ${describeValue(options)}.`,
      );
    }
    assertKnownKeys('the memory store options', options, MEMORY_STORE_OPTIONS, toInvalid);
    const {
      maxEntries = Infinity,
      clock,
      sweepIntervalMs = 1000,
      sweepBatchSize = 10_000,
    } = options;
    checkCount('maxEntries', maxEntries, true);
    checkCount('sweepBatchSize', sweepBatchSize, false);
    if (
      typeof sweepIntervalMs !== 'number' ||
      !(sweepIntervalMs >= 0) ||
      !Number.isFinite(sweepIntervalMs)
    ) {
      throw new KvsInvalidArgumentError(
        `Invalid sweepIntervalMs: expected a finite number >= 0 (0 disables the sweep), got ${describeValue(sweepIntervalMs)}.`,
      );
    }
    if (clock !== undefined && typeof clock !== 'function') {
      throw new KvsInvalidArgumentError(
        `Invalid clock: expected a function returning ms, got ${describeValue(clock)}.`,
      );
    }
    this.#now = clock ?? (() => performance.now());
    this.#maxEntries = maxEntries;
    this.#batch = sweepBatchSize;
    if (sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
      this.#sweeper.unref();
    }
  }

  toString(): string {
    const limit = this.#maxEntries === Infinity ? '' : `, maxEntries ${this.#maxEntries}`;
    return `MemoryStore(${this.#map.size} entries${limit})`;
  }

  /** Entries held, including expired ones not yet swept. */
  get size(): number {
    return this.#map.size;
  }

  async get(key: string): Promise<Buffer> {
    assertKey(key);
    const entry = this.#read(key, 'get');
    if (entry === undefined) throw new KvsNotFoundError(key);
    return Buffer.from(entry.value);
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    assertKey(key);
    const entry = this.#read(key, 'get');
    return entry === undefined ? undefined : Buffer.from(entry.value);
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    assertKeys(keys);
    this.#open('getMany');
    return keys.map((key) => {
      const entry = this.#read(key, 'getMany');
      return entry === undefined ? undefined : Buffer.from(entry.value);
    });
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return this.#read(key, 'has', false) !== undefined;
  }

  async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    assertKey(key);
    assertValue(value);
    const ttl = toTtl(ttlMs);
    this.#open('set');
    this.#write(key, copyOf(value), ttl);
  }

  async setIfAbsent(key: string, value: Uint8Array, ttlMs?: number): Promise<boolean> {
    assertKey(key);
    assertValue(value);
    const ttl = toTtl(ttlMs);
    if (this.#read(key, 'setIfAbsent', false) !== undefined) return false;
    this.#write(key, copyOf(value), ttl);
    return true;
  }

  async take(key: string): Promise<Buffer | undefined> {
    assertKey(key);
    const entry = this.#read(key, 'take', false);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    return entry.value;
  }

  async increment(key: string, by?: number, ttlMs?: number): Promise<number> {
    assertKey(key);
    const step = toStep(by);
    const ttl = toTtl(ttlMs);
    const entry = this.#read(key, 'increment');
    if (entry === undefined) {
      this.#write(key, Buffer.from(String(step)), ttl);
      return step;
    }
    const next = addToInteger(key, entry.value, step);
    entry.value = Buffer.from(String(next));
    return next;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    assertKey(key);
    const ttl = toTtl(ttlMs);
    const entry = this.#read(key, 'expire', false);
    if (entry === undefined) return false;
    entry.expiresAt = ttl === 0 ? 0 : this.#now() + ttl;
    return true;
  }

  async ttl(key: string): Promise<number | undefined> {
    assertKey(key);
    const entry = this.#read(key, 'ttl', false);
    if (entry === undefined) return undefined;
    return entry.expiresAt === 0 ? Infinity : Math.max(1, Math.ceil(entry.expiresAt - this.#now()));
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    this.#open('delete');
    this.#map.delete(key);
  }

  async deleteIfEquals(key: string, expected: Uint8Array): Promise<boolean> {
    assertKey(key);
    assertValue(expected);
    const entry = this.#read(key, 'deleteIfEquals', false);
    if (entry === undefined || !entry.value.equals(expected)) return false;
    return this.#map.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    assertKeys(keys);
    this.#open('deleteMany');
    let deleted = 0;
    for (const key of new Set(keys)) {
      if (this.#read(key, 'deleteMany', false) !== undefined && this.#map.delete(key)) deleted++;
    }
    return deleted;
  }

  async list(prefix?: string): Promise<string[]> {
    const wanted = toPrefix(prefix);
    this.#open('list');
    const now = this.#now();
    const keys: string[] = [];
    for (const [key, entry] of this.#map) {
      if (key.startsWith(wanted) && !isExpired(entry, now)) keys.push(key);
    }
    return keys.sort(compareKeys);
  }

  async *scan(prefix?: string, options?: ScanOptions): AsyncIterableIterator<string> {
    // Checked as Redis checks them, though one list needs no batches.
    yield* await this.list(toScan(prefix, options).prefix);
  }

  async ping(): Promise<void> {
    this.#open('ping');
  }

  /** Messages between the users of this store object (see {@link KvsChannel}). */
  get channel(): KvsChannel {
    this.#channel ??= new MemoryChannel();
    return this.#channel;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel?.close();
    clearInterval(this.#sweeper);
    this.#map.clear();
    this.#sweep.restart();
  }

  /**
   * Removes expired entries among the next `sweepBatchSize` entries, continuing where the last
   * sweep stopped. The background timer calls it; call it yourself to reclaim memory at once.
   * Returns how many entries it removed.
   */
  sweep(): number {
    return this.#sweep.run(this.#now(), this.#batch);
  }

  /** The live entry of `key`, dropping it if expired; `touch` marks it recently used. */
  #read(key: string, operation: string, touch = true): Entry | undefined {
    this.#open(operation);
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (isExpired(entry, entry.expiresAt === 0 ? 0 : this.#now())) {
      this.#map.delete(key);
      return undefined;
    }
    if (touch) entry.used = true;
    return entry;
  }

  #write(key: string, value: Buffer, ttl: number): void {
    const expiresAt = ttl === 0 ? 0 : this.#now() + ttl;
    const entry = this.#map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.expiresAt = expiresAt;
      entry.used = true;
      return;
    }
    this.#map.set(key, { value, expiresAt, used: false });
    if (this.#map.size > this.#maxEntries) this.#evict();
  }

  /** Evicts the oldest entry not used since the last pass; used ones move to the back, unmarked. */
  #evict(): void {
    for (const [key, entry] of this.#map) {
      this.#map.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.#map.set(key, entry);
    }
  }

  #open(operation: string): void {
    if (this.#closed) throw new KvsClosedError(operation);
  }
}

function isExpired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== 0 && entry.expiresAt <= now;
}

/** A private copy of `value` (small ones come from Node's buffer pool, as `Buffer.from` does). */
function copyOf(value: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(value.byteLength);
  copy.set(value);
  return copy;
}

function checkCount(name: string, value: unknown, allowInfinity: boolean): void {
  const ok =
    typeof value === 'number' &&
    value >= 1 &&
    (Number.isSafeInteger(value) || (allowInfinity && value === Infinity));
  if (!ok) {
    throw new KvsInvalidArgumentError(
      `Invalid ${name}: expected a whole number >= 1, got ${describeValue(value)}.`,
    );
  }
}
