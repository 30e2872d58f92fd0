import { randomBytes } from 'node:crypto';
import { cacheMessages } from '../cache.messages.js';
import { NOT_AN_ENTRY, readEntry, seal, unseal } from '../entry/cache.envelope.js';
import { lockKey, valueKey } from '../entry/cache.keys.js';
import { entryState } from '../grace/grace.entry.js';
import { LoadWaiter, type GraceFlight, type Graced } from '../grace/grace.waiter.js';
import { FAILED, type Flight, type SpaceContext } from './cache.space.js';
import { cacheLookup } from '../../telemetry/telemetry.hooks.js';
import { tracedLoad } from '../../telemetry/telemetry.traces.js';
import type { CachePlan, CacheWriter, EngineSettings, Load } from './cache.writer.js';
import type { LocalEntry } from '../local/local.tier.js';
import { localTtl, type LocalUse } from '../local/local.use.js';
import type { CallTags } from '../tags/tags.call.js';
import { keysWithTags, readBefore, takeVersions } from '../tags/tags.read.js';
import { locallyCurrent, SKIP, tagsCurrent, tagsToRecord } from '../tags/tags.versions.js';

/** What a load produced: the value for the call that ran it, and copies for calls that joined. */
export interface Outcome {
  readonly value: unknown;
  copy(): unknown;
}

/** Returned by `#decode` when an entry cannot be decoded (logged; treated as a miss). */
export const UNREADABLE = Symbol('unreadable');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The cache's semantics, independent of decorators: a lean read on every call, single-flight of
 * loads per key in this process, an optional lock in the store across processes,
 * stale-while-revalidate, and store failures that never fail a call. Keys here are relative to
 * the plan's namespace. Every call counts once in `hits`, `stale` or `misses`. Grace periods and
 * loader timeouts: lib/cache/grace.
 */
export class CacheEngine {
  readonly #waiter: LoadWaiter;

  constructor(
    private readonly ctx: SpaceContext,
    private readonly settings: EngineSettings,
    private readonly writer: CacheWriter,
  ) {
    this.#waiter = new LoadWaiter(ctx, settings.clock);
  }

  /** The cached value of `key`, or the result of `load.compute()`, stored for the next callers. */
  async cached<T>(plan: CachePlan, key: string, load: Load<T>): Promise<T> {
    const storeKey = valueKey(plan, key);
    const { space, local } = plan;
    if (space.flights.size > 0) {
      const running = space.flights.get(storeKey);
      if (running !== undefined) {
        return this.#join(running as GraceFlight<Outcome>, plan, key, undefined) as Promise<T>;
      }
    }
    if (local !== undefined && local.readiness.ready) {
      const entry = local.sync.tier.get(storeKey);
      if (entry !== undefined && locallyCurrent(local.sync.tier, plan.namespace, entry.bytes)) {
        const value = this.#localValue(entry, local, storeKey);
        if (value !== UNREADABLE) {
          const served = this.#served(
            plan,
            key,
            load as Load<unknown>,
            entry.bytes,
            value,
            'local_hit',
          );
          return served as T;
        }
      }
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await this.#read(plan, storeKey, load.tags);
    } catch (err) {
      space.failed('get', err);
      return this.#loadOnce(plan, key, load as Load<unknown>, false) as Promise<T>;
    }
    if (bytes !== undefined) {
      const value = this.#decode(bytes, storeKey);
      if (value !== UNREADABLE) {
        return this.#served(plan, key, load as Load<unknown>, bytes, value, 'hit') as T;
      }
    }
    return this.#loadOnce(plan, key, load as Load<unknown>, true) as Promise<T>;
  }

  /** Reads `key`: `{ value }` on a hit (fresh or stale), `undefined` on a miss or a store failure. */
  async lookup(plan: CachePlan, key: string): Promise<{ value: unknown } | undefined> {
    const storeKey = valueKey(plan, key);
    const { local } = plan;
    if (local !== undefined && local.readiness.ready) {
      const entry = local.sync.tier.get(storeKey);
      const value =
        entry === undefined || !locallyCurrent(local.sync.tier, plan.namespace, entry.bytes)
          ? UNREADABLE
          : this.#localValue(entry, local, storeKey);
      if (value !== UNREADABLE && this.#usable(entry!.bytes)) {
        this.ctx.stats.hits++;
        this.ctx.stats.localHits++;
        cacheLookup('local_hit', plan.namespace);
        return { value };
      }
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await this.#read(plan, storeKey);
    } catch (err) {
      plan.space.failed('get', err);
    }
    const value =
      bytes === undefined || !this.#usable(bytes) ? UNREADABLE : this.#decode(bytes, storeKey);
    if (value === UNREADABLE) {
      this.ctx.stats.misses++;
      cacheLookup('miss', plan.namespace);
      return undefined;
    }
    this.ctx.stats.hits++;
    this.ctx.stats.storeHits++;
    cacheLookup('hit', plan.namespace);
    return { value };
  }

  /** For batches (batch/batch.engine.ts): the value of a stored entry, or UNREADABLE (logged). */
  decodeEntry(bytes: Buffer, storeKey: string): unknown {
    return this.#decode(bytes, storeKey);
  }

  /** For batches: the value of a local tier's entry (a copy, or the shared one), or UNREADABLE. */
  localEntryValue(entry: LocalEntry, local: LocalUse, storeKey: string): unknown {
    return this.#localValue(entry, local, storeKey);
  }

  /** False for a graced entry: only a failed load may serve it. */
  #usable(bytes: Buffer): boolean {
    return entryState(bytes, this.settings.clock()) !== 'graced';
  }

  /**
   * A hit: counted fresh or stale (then refreshed in the background), and where it came from;
   * returns the value. A graced entry loads as a miss (it answers if the load fails), one in its
   * backoff answers at once.
   */
  #served(
    plan: CachePlan,
    key: string,
    load: Load<unknown>,
    bytes: Buffer,
    value: unknown,
    hit: 'hit' | 'local_hit',
  ): unknown {
    const state = entryState(bytes, this.settings.clock());
    const from = hit === 'hit' ? 'store' : 'local';
    if (state === 'graced') {
      const graced: Graced = { bytes, value: () => value, from };
      return this.#loadOnce(plan, key, load, true, graced);
    }
    if (state === 'backoff') {
      this.#waiter.served(plan, from);
      return value;
    }
    this.ctx.stats[hit === 'hit' ? 'storeHits' : 'localHits']++;
    if (state === 'stale') {
      this.ctx.stats.stale++;
      cacheLookup('stale', plan.namespace);
      this.#refresh(plan, key, load);
    } else {
      this.ctx.stats.hits++;
      cacheLookup(hit, plan.namespace);
    }
    return value;
  }

  /**
   * The store's bytes of `storeKey`, unless its tags are outdated. With the local tier, also its
   * remaining TTL (one round trip: both commands leave together), and a live entry goes into the
   * tier, unless an invalidation of the key arrived while the read was under way. With `tags`,
   * their versions are read in the same round trip (without the tier, in the same command), for
   * the check and for the load.
   */
  async #read(plan: CachePlan, storeKey: string, tags?: CallTags): Promise<Buffer | undefined> {
    const { space, local } = plan;
    if (local === undefined || !local.readiness.ready) {
      const bytes =
        tags === undefined
          ? await space.get(storeKey, plan.timeout)
          : takeVersions(
              tags,
              await space.getAll(keysWithTags(plan, storeKey, tags), plan.timeout),
            );
      if (bytes === undefined) return undefined;
      const fresh = current(plan, bytes, tags);
      return fresh === true || (fresh !== false && (await fresh)) ? bytes : undefined;
    }
    const before = tags === undefined ? undefined : readBefore(plan, tags);
    const { tier } = local.sync;
    const token = tier.begin();
    const sentAt = performance.now();
    const { bytes, ttl } = await space.getWithTtl(storeKey, plan.timeout);
    if (before !== undefined) await before;
    if (bytes === undefined) return undefined;
    const fresh = current(plan, bytes, tags);
    if (fresh !== true && (fresh === false || !(await fresh))) return undefined;
    if (ttl !== undefined) tier.fill(storeKey, bytes, localTtl(local, ttl, sentAt), token);
    return bytes;
  }

  /** The value of a local entry: a fresh copy, or (shared) one decoded object kept with it. */
  #localValue(entry: LocalEntry, local: LocalUse, storeKey: string): unknown {
    if (!local.shared) return this.#decode(entry.bytes, storeKey);
    if (!entry.hasValue) {
      const value = this.#decode(entry.bytes, storeKey);
      if (value === UNREADABLE) return value;
      entry.value = value;
      entry.hasValue = true;
    }
    return entry.value;
  }

  /** A new copy of a stored entry's value, or UNREADABLE (logged) when it is not one. */
  #decode(bytes: Buffer, storeKey: string): unknown {
    try {
      const value = readEntry(bytes, this.ctx.codec);
      if (value !== NOT_AN_ENTRY) return value;
      this.ctx.log.warn('decode', () => cacheMessages.decodeFailed(storeKey, 'not a cache entry'));
    } catch (err) {
      this.ctx.log.warn('decode', () => cacheMessages.decodeFailed(storeKey, err));
    }
    return UNREADABLE;
  }

  /** Joins a running load: a decoded copy of its value (or of its graced entry). */
  #join(
    flight: GraceFlight<Outcome>,
    plan: CachePlan,
    key: string,
    graced: Graced | undefined,
  ): Promise<unknown> {
    const bytes = flight.graced;
    const own =
      graced ??
      (bytes === undefined
        ? undefined
        : { bytes, value: () => unseal(bytes, this.ctx.codec), from: 'store' as const });
    return this.#waiter.wait(plan, key, flight, own, (outcome) => outcome.copy());
  }

  /**
   * Runs the load of a missed (or graced) key once in this process; concurrent calls join it.
   * It leaves the flights when it settles (or at its hardTimeout), not when its caller stops
   * waiting.
   */
  #loadOnce(
    plan: CachePlan,
    key: string,
    load: Load<unknown>,
    write: boolean,
    graced?: Graced,
  ): Promise<unknown> {
    const storeKey = valueKey(plan, key);
    const { flights } = plan.space;
    const running = flights.get(storeKey);
    if (running !== undefined) {
      return this.#join(running as GraceFlight<Outcome>, plan, key, graced);
    }
    plan.space.supersede(storeKey);
    const flight: GraceFlight<Outcome> = {
      promise: undefined as never,
      cancelled: false,
      tags: load.tags,
      graced: graced?.bytes,
    };
    const loading =
      write && plan.lock
        ? this.#loadLocked(plan, key, load, flight)
        : this.#load(plan, key, load, flight, write);
    flight.promise = this.#waiter.guard(plan, storeKey, flight, loading);
    flights.set(storeKey, flight);
    const leave = (): void => {
      if (flights.get(storeKey) === flight) flights.delete(storeKey);
    };
    flight.promise.then(leave, leave);
    this.#waiter.watch(plan, storeKey, flight);
    return this.#waiter.wait(plan, key, flight, graced, (outcome) => outcome.value);
  }

  async #load(
    plan: CachePlan,
    key: string,
    load: Load<unknown>,
    flight: { cancelled: boolean },
    write: boolean,
  ): Promise<Outcome> {
    this.ctx.stats.loads++;
    const tags = write ? load.tags : undefined;
    if (tags !== undefined && !tags.read) await readBefore(plan, tags);
    const value = await tracedLoad(plan.namespace, plan.label, () => load.compute());
    const ext =
      tags === undefined || flight.cancelled ? undefined : await tagsToRecord(plan, tags, value);
    const bytes =
      write && !flight.cancelled && ext !== SKIP
        ? await this.writer.store(plan, key, value, load.unless, ext, load.ttl)
        : undefined;
    return computed(value, bytes, this.ctx);
  }

  /** Computes a miss once across processes: the lock holder loads, the others wait for its value. */
  async #loadLocked(
    plan: CachePlan,
    key: string,
    load: Load<unknown>,
    flight: Flight<Outcome>,
  ): Promise<Outcome> {
    const lock = lockKey(plan, key);
    const token = randomBytes(12);
    const deadline = performance.now() + this.settings.lockWait;
    for (;;) {
      const held = await plan.space.acquire(lock, token, this.settings.lockTtl, plan.timeout);
      if (held === FAILED) return this.#load(plan, key, load, flight, true);
      if (held) {
        try {
          return await this.#load(plan, key, load, flight, true);
        } finally {
          await plan.space.release(lock, token, plan.timeout);
        }
      }
      const waited = await this.#wait(plan, key, lock, deadline);
      if (waited === 'released') continue;
      return waited === 'gave up' ? this.#load(plan, key, load, flight, true) : waited;
    }
  }

  /** Polls, with backoff, until the holder's value appears, the lock goes, or the deadline passes. */
  async #wait(
    plan: CachePlan,
    key: string,
    lock: string,
    deadline: number,
  ): Promise<Outcome | 'released' | 'gave up'> {
    const storeKey = valueKey(plan, key);
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const left = deadline - performance.now();
      if (left <= 0) return 'gave up';
      await sleep(Math.min(delay, left));
      const seen = await plan.space.peek(storeKey, lock, plan.timeout);
      if (seen === FAILED) return 'gave up';
      const { bytes } = seen;
      if (bytes !== undefined && (await current(plan, bytes))) {
        const value = this.#decode(bytes, storeKey);
        if (value === UNREADABLE) return 'gave up';
        return { value, copy: () => this.#decode(bytes, storeKey) };
      }
      if (!seen.locked) return 'released';
    }
  }

  /** Starts one background refresh of a stale key, unless one runs already. */
  #refresh(plan: CachePlan, key: string, load: Load<unknown>): void {
    const storeKey = valueKey(plan, key);
    const { refreshing } = plan.space;
    if (refreshing.has(storeKey)) return;
    const task: Flight<void> = { promise: undefined as never, cancelled: false, tags: load.tags };
    task.promise = this.#runRefresh(plan, key, load, task).finally(() => {
      if (refreshing.get(storeKey) === task) refreshing.delete(storeKey);
    });
    refreshing.set(storeKey, task);
  }

  async #runRefresh(
    plan: CachePlan,
    key: string,
    load: Load<unknown>,
    task: Flight<void>,
  ): Promise<void> {
    const lock = plan.lock ? lockKey(plan, key) : undefined;
    const token = randomBytes(12);
    try {
      if (lock !== undefined) {
        const held = await plan.space.acquire(lock, token, this.settings.lockTtl, plan.timeout);
        if (held !== true) return;
      }
      await this.#load(plan, key, load, task, true);
    } catch (err) {
      this.ctx.log.warn(`refresh:${plan.label}`, () =>
        cacheMessages.refreshFailed(plan.label, err),
      );
    } finally {
      if (lock !== undefined) await plan.space.release(lock, token, plan.timeout);
    }
  }
}

/** Whether stored bytes are current by their tags (read with `tags`' versions when given). */
function current(plan: CachePlan, bytes: Buffer, tags?: CallTags): boolean | Promise<boolean> {
  return tagsCurrent(plan, bytes, tags?.before?.versions);
}

/** The outcome of a load: the value itself for its caller, decoded copies for callers that joined. */
export function computed(value: unknown, bytes: Buffer | undefined, ctx: SpaceContext): Outcome {
  if (typeof value !== 'object' || value === null) return { value, copy: () => value };
  let sealed = bytes;
  return {
    value,
    copy() {
      try {
        sealed ??= seal(value, 0, ctx.codec);
        return unseal(sealed, ctx.codec);
      } catch {
        return value;
      }
    },
  };
}
