import type { Deadlines } from '../../shared/deadlines.js';
import type { ThrottledLog } from '../../shared/throttled-log.js';
import { isKvsError, type KvsCodec, type KvsStore } from '../../store/index.js';
import { storeKind } from '../../store/kvs.backend.js';
import { cacheMessages } from '../cache.messages.js';
import type { CacheCounters } from '../cache.stats.js';
import { cacheError } from '../../telemetry/telemetry.hooks.js';
import type { LocalSync } from '../local/local.sync.js';
import type { CallTags } from '../tags/tags.call.js';

/** A store step took longer than its timeout. */
export class StepTimeoutError extends Error {
  /** The cause name used in logs. */
  readonly code = 'TIMEOUT';

  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'StepTimeoutError';
  }
}

const stepTimeout = (ms: number): Error => new StepTimeoutError(ms);

/** What every space of one application shares. */
export interface SpaceContext {
  readonly codec: KvsCodec<unknown>;
  readonly stats: CacheCounters;
  readonly log: ThrottledLog;
  readonly deadlines: Deadlines;
}

/** A load of one key in this process; evictions mark it so its result is not written back. */
export interface Flight<T> {
  promise: Promise<T>;
  cancelled: boolean;
  /** The tags of the load's entry (an invalidation of one of them cancels it too). */
  tags?: CallTags | undefined;
}

/** A store step that failed or timed out (already logged and counted). */
export const FAILED = Symbol('failed');
type Failed = typeof FAILED;
const SCAN_BATCH = 500;

/**
 * One store as the cache uses it: every step bounded by a timeout, and a failure logged
 * (rate-limited), counted and turned into {@link FAILED} instead of an exception. Also holds the
 * in-process loads and background refreshes of the store's keys.
 */
export class CacheSpace {
  /** Loads in progress, by store key: concurrent misses of one key share one load. */
  readonly flights = new Map<string, Flight<unknown>>();
  /** Background refreshes in progress, by store key. */
  readonly refreshing = new Map<string, Flight<void>>();
  /** Writes in progress in this process, by store key (only a lone write fills the local tier). */
  readonly writing = new Map<string, number>();
  /**
   * Loads past their `hardTimeout`, still running, by store key: they take no new callers, and a
   * newer load or a write or eviction of the key stops them from writing their (older) result.
   */
  readonly overdue = new Map<string, Flight<unknown>>();

  /** A new load of `storeKey` starts: an overdue one's result, older, must not be written. */
  supersede(storeKey: string): void {
    if (this.overdue.size === 0) return;
    const old = this.overdue.get(storeKey);
    if (old === undefined) return;
    old.cancelled = true;
    this.overdue.delete(storeKey);
  }
  /** The store's local tier and its channel, when the cache uses one for this store. */
  local: LocalSync | undefined;
  /** An in-process memory store answers synchronously: it cannot be slow or unreachable. */
  readonly #bounded: boolean;

  constructor(
    readonly store: KvsStore,
    private readonly ctx: SpaceContext,
  ) {
    this.#bounded = storeKind(store) !== 'memory';
  }

  /**
   * The stored bytes of `key` (the hit path, so no extra layer): rejects when the store fails or
   * does not answer within `timeout`; pass the error to {@link failed}.
   */
  get(key: string, timeout: number): Promise<Buffer | undefined> {
    const pending = this.store.tryGet(key);
    return this.#bounded ? this.ctx.deadlines.within(pending, timeout, stepTimeout) : pending;
  }

  /** The stored bytes of `keys` in one round trip (one MGET per slot on a Cluster); rejects like {@link get}. */
  getAll(keys: readonly string[], timeout: number): Promise<(Buffer | undefined)[]> {
    const pending = this.store.getMany(keys);
    return this.#bounded ? this.ctx.deadlines.within(pending, timeout, stepTimeout) : pending;
  }

  /**
   * The stored bytes of `key` and their remaining TTL (ms; Infinity: no expiry; undefined: gone
   * meanwhile), sent together so they cost one round trip; rejects like {@link get}.
   */
  async getWithTtl(
    key: string,
    timeout: number,
  ): Promise<{ bytes: Buffer | undefined; ttl: number | undefined }> {
    const both = Promise.all([this.store.tryGet(key), this.store.ttl(key)]);
    const [bytes, ttl] = await (this.#bounded
      ? this.ctx.deadlines.within(both, timeout, stepTimeout)
      : both);
    return { bytes, ttl };
  }

  /**
   * The stored bytes of `keys` in one round trip (one MGET per slot on a Cluster); with
   * `withTtl`, also each key's remaining TTL (like {@link getWithTtl}), sent in the same round
   * trip. {@link FAILED} when the store fails or is late (logged and counted).
   */
  async getMany(
    keys: readonly string[],
    timeout: number,
    withTtl: boolean,
  ): Promise<{ bytes: (Buffer | undefined)[]; ttls: (number | undefined)[] | undefined } | Failed> {
    const { store } = this;
    return this.#step(
      'get',
      async () => {
        const ttls = withTtl ? Promise.all(keys.map((key) => store.ttl(key))) : undefined;
        const [bytes, ttl] = await Promise.all([store.getMany(keys), ttls]);
        return { bytes, ttls: ttl };
      },
      timeout,
    );
  }

  /** Reads `key` and whether `lockKey` is still held, in one round trip. */
  async peek(
    key: string,
    lockKey: string,
    timeout: number,
  ): Promise<{ bytes: Buffer | undefined; locked: boolean } | Failed> {
    const found = await this.#step('get', () => this.store.getMany([key, lockKey]), timeout);
    return found === FAILED ? FAILED : { bytes: found[0], locked: found[1] !== undefined };
  }

  /** Stores `bytes`; true when it did. */
  async write(key: string, bytes: Buffer, ttl: number, timeout: number): Promise<boolean> {
    const done = await this.#step('set', () => this.store.set(key, bytes, ttl), timeout);
    if (done === FAILED) return false;
    this.ctx.stats.writes++;
    return true;
  }

  /** Takes the lock; true when this caller holds it now. */
  acquire(lockKey: string, token: Buffer, ttl: number, timeout: number): Promise<boolean | Failed> {
    return this.#step('lock', () => this.store.setIfAbsent(lockKey, token, ttl), timeout);
  }

  /** Releases the lock if this caller still holds it. */
  async release(lockKey: string, token: Buffer, timeout: number): Promise<void> {
    await this.#step('unlock', () => this.store.deleteIfEquals(lockKey, token), timeout);
  }

  /**
   * Replaces `expected` under `key` by `bytes`, keeping the key's time left; false when the key
   * holds something else by then (that write wins) or the store failed. Three round trips: the
   * TTL, a delete of exactly `expected`, then a write only if no other write came in between.
   */
  async swap(key: string, expected: Buffer, bytes: Buffer, timeout: number): Promise<boolean> {
    const left = await this.#step('ttl', () => this.store.ttl(key), timeout);
    if (left === FAILED || left === undefined) return false;
    const gone = await this.#step('set', () => this.store.deleteIfEquals(key, expected), timeout);
    if (gone !== true) return false;
    const ttl = left === Infinity ? 0 : left;
    const done = await this.#step('set', () => this.store.setIfAbsent(key, bytes, ttl), timeout);
    if (done !== true) return false;
    this.ctx.stats.writes++;
    return true;
  }

  /** Deletes `keys`; resolves with how many existed (0 when the store failed). */
  async remove(keys: readonly string[], timeout: number): Promise<number> {
    if (keys.length === 0) return 0;
    const removed = await this.#step('delete', () => this.store.deleteMany(keys), timeout);
    if (removed === FAILED) return 0;
    this.ctx.stats.evictions += removed;
    return removed;
  }

  /** Deletes every key starting with `prefix`, a batch at a time; each round trip is bounded. */
  async removePrefix(prefix: string, timeout: number): Promise<number> {
    const keys = this.store.scan(prefix, { batchSize: SCAN_BATCH });
    let removed = 0;
    let batch: string[] = [];
    try {
      for (;;) {
        const next = await this.#step('scan', () => keys.next(), timeout);
        if (next === FAILED) return removed;
        if (next.done !== true) batch.push(next.value);
        if (batch.length >= SCAN_BATCH || (next.done === true && batch.length > 0)) {
          removed += await this.remove(batch, timeout);
          batch = [];
        }
        if (next.done === true) return removed;
      }
    } finally {
      void keys.return?.().catch(() => undefined);
    }
  }

  /** Logs (rate-limited) and counts a failed store step; a closed store is not a failure. */
  failed(step: string, err: unknown): Failed {
    if (isKvsError(err, 'KVS_CLOSED')) return FAILED;
    this.ctx.stats.errors++;
    const code = (err as { code?: unknown }).code;
    const cause = `${step}:${typeof code === 'string' ? code : (err as Error).name}`;
    cacheError(step, cause.slice(step.length + 1));
    this.ctx.log.warn(cause, () => cacheMessages.storeFailed(step, err));
    return FAILED;
  }

  /** Runs a step of another part of the cache (e.g. tags) like the space's own: bounded, logged. */
  step<T>(name: string, op: () => Promise<T>, timeout: number): Promise<T | Failed> {
    return this.#step(name, op, timeout);
  }

  /** Runs one store step within `timeout`; a failure is logged, counted and becomes FAILED. */
  async #step<T>(name: string, op: () => Promise<T>, timeout: number): Promise<T | Failed> {
    try {
      const pending = op();
      return await (this.#bounded
        ? this.ctx.deadlines.within(pending, timeout, stepTimeout)
        : pending);
    } catch (err) {
      return this.failed(name, err);
    }
  }
}
