import { cacheLookup } from '../../telemetry/telemetry.hooks.js';
import type { Flight, SpaceContext } from '../engine/cache.space.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { backoffEntry } from './grace.entry.js';
import { KvsCacheTimeoutError } from './grace.errors.js';
import { graceMessages } from './grace.messages.js';

/** A graced entry a call read: the answer when its load fails or times out. */
export interface Graced {
  readonly bytes: Buffer;
  /** A copy of its value for this call. */
  value(): unknown;
  /** Where it was read (counted in `localHits` or `storeHits` when it answers). */
  readonly from: 'local' | 'store';
}

/** A load of one key; with the graced entry its first caller read, for the calls joining it. */
export interface GraceFlight<T> extends Flight<T> {
  graced: Buffer | undefined;
}

const EXPIRED = Symbol('expired');

/** `promise`'s value, or EXPIRED after `ms`; one unref'd timer, cleared when `promise` settles. */
function race<T>(promise: Promise<T>, ms: number): Promise<T | typeof EXPIRED> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<typeof EXPIRED>((resolve) => {
    timer = setTimeout(resolve, ms, EXPIRED);
    timer.unref();
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/**
 * How calls wait for a load: each call bounded by its own soft and hard timeouts (from when it
 * started waiting), a graced entry answering a failed or timed-out load. And what a flight does
 * once: past `hardTimeout` it no longer takes new callers (they start a new load), and when it
 * fails or times out with a graced entry, that entry is rewritten to be served without a load
 * for `graceBackoff`: in the store, so every instance backs off.
 */
export class LoadWaiter {
  constructor(
    private readonly ctx: SpaceContext,
    private readonly clock: () => number,
  ) {}

  /** The promise of a new flight: `loading`, and on a failure with a graced entry, the backoff. */
  guard<T>(
    plan: CachePlan,
    storeKey: string,
    flight: GraceFlight<T>,
    loading: Promise<T>,
  ): Promise<T> {
    const { graced } = flight;
    if (graced === undefined) return loading;
    return loading.catch(async (err: unknown) => {
      this.ctx.log.warn(`grace:${plan.label}`, () =>
        graceMessages.servedGrace(plan.label, err, plan.grace.backoff),
      );
      await this.#backoff(plan, storeKey, graced, flight);
      throw err;
    });
  }

  /** Starts the flight's own hard timeout (none without `hardTimeout`). */
  watch<T>(plan: CachePlan, storeKey: string, flight: GraceFlight<T>): void {
    const { hardTimeout } = plan.grace;
    if (hardTimeout === 0) return;
    race(flight.promise, hardTimeout).then(
      (result) => {
        if (result !== EXPIRED) return;
        const { flights, overdue } = plan.space;
        if (flights.get(storeKey) === flight) {
          flights.delete(storeKey);
          overdue.set(storeKey, flight);
          const done = (): void => {
            if (overdue.get(storeKey) === flight) overdue.delete(storeKey);
          };
          flight.promise.then(done, done);
        }
        if (flight.graced === undefined) return;
        this.ctx.log.warn(`grace:${plan.label}`, () =>
          graceMessages.timedOutGrace(plan.label, hardTimeout, plan.grace.backoff),
        );
        void this.#backoff(plan, storeKey, flight.graced, flight);
      },
      () => undefined,
    );
  }

  /**
   * One call's wait for `flight`; `take` turns its outcome into this call's value. Counted once:
   * a call without a graced entry as a miss when it starts; one with a graced entry as a miss
   * when the load answers it, as stale (and graced) when its graced entry does.
   */
  async wait<T>(
    plan: CachePlan,
    key: string,
    flight: GraceFlight<T>,
    graced: Graced | undefined,
    take: (outcome: T) => unknown,
  ): Promise<unknown> {
    const { stats } = this.ctx;
    const { softTimeout, hardTimeout } = plan.grace;
    if (graced === undefined) {
      stats.misses++;
      cacheLookup('miss', plan.namespace);
      if (hardTimeout === 0) return take(await flight.promise);
      const result = await race(flight.promise, hardTimeout);
      if (result !== EXPIRED) return take(result);
      stats.timeouts++;
      throw new KvsCacheTimeoutError(plan.label, key, hardTimeout);
    }
    const limit = softTimeout > 0 ? softTimeout : hardTimeout;
    let result: T | typeof EXPIRED;
    try {
      result = await (limit === 0 ? flight.promise : race(flight.promise, limit));
    } catch {
      this.served(plan, graced.from);
      return graced.value();
    }
    if (result === EXPIRED) {
      stats.timeouts++;
      this.served(plan, graced.from);
      return graced.value();
    }
    stats.misses++;
    cacheLookup('miss', plan.namespace);
    return take(result);
  }

  /**
   * Counts a call a graced entry answered: after a failed or timed-out load, or in a backoff;
   * `from`: where the entry was read (the batch counts that itself for entries in their backoff).
   */
  served(plan: CachePlan, from?: 'local' | 'store'): void {
    if (from !== undefined) this.ctx.stats[from === 'local' ? 'localHits' : 'storeHits']++;
    this.ctx.stats.stale++;
    this.ctx.stats.graced++;
    cacheLookup('stale', plan.namespace);
  }

  /**
   * Rewrites the graced entry to be served without a load for `graceBackoff`, if the store still
   * holds it (a newer write or an eviction wins), and tells the local tiers.
   */
  async #backoff(
    plan: CachePlan,
    storeKey: string,
    graced: Buffer,
    flight: { cancelled: boolean },
  ): Promise<void> {
    const { backoff } = plan.grace;
    if (backoff === 0 || flight.cancelled) return;
    let next: Buffer;
    try {
      next = backoffEntry(graced, this.clock() + backoff, this.ctx.codec);
    } catch {
      return; // the codec cannot round-trip it: no backoff, the next call loads
    }
    const { space } = plan;
    if (!(await space.swap(storeKey, graced, next, plan.timeout))) return;
    const sync = space.local;
    if (sync !== undefined) {
      sync.tier.invalidate(storeKey);
      sync.publish([storeKey]);
    }
  }
}
