import type { KvsStore } from '../store/index.js';
import { evaluate, type CounterState, type Evaluation } from './rate-limit.algorithms.js';
import type { BackendDecision, CounterRequest, RateLimitBackend } from './rate-limit.backend.js';

interface Counter extends CounterState {
  /** Clock reading at which the counter no longer matters. */
  expiresAt: number;
}

/** Counters examined for expiry per decision: reclaiming keeps pace with any rate of new keys. */
const SWEEP_STEP = 4;

/**
 * The counters of one memory store: a Map in least-recently-used order (a counter moves to the end
 * when used), bounded by `maxKeys` (the least recently used counter goes first), with expired
 * counters reclaimed a few at a time by every decision. No timer at all.
 */
export class MemoryCounters {
  readonly #map = new Map<string, Counter>();
  #cursor: Iterator<[string, Counter]> | undefined;

  constructor(readonly maxKeys: number) {}

  /** Counters held, including expired ones not yet reclaimed. */
  get size(): number {
    return this.#map.size;
  }

  /** The live counter of `key`, marked as recently used; undefined if missing or expired. */
  get(key: string, now: number): Counter | undefined {
    const counter = this.#map.get(key);
    if (counter === undefined) return undefined;
    this.#map.delete(key);
    if (counter.expiresAt <= now) return undefined;
    this.#map.set(key, counter);
    return counter;
  }

  /** Stores a new state for `key`, updating `existing` in place when there is one. */
  put(
    key: string,
    existing: Counter | undefined,
    next: NonNullable<Evaluation['next']>,
    now: number,
  ): void {
    const expiresAt = now + Math.max(1, Math.ceil(next.ttl));
    if (existing !== undefined) {
      existing.a = next.a;
      existing.b = next.b;
      existing.c = next.c;
      existing.expiresAt = expiresAt;
      return;
    }
    this.#map.set(key, { a: next.a, b: next.b, c: next.c, expiresAt });
    if (this.#map.size > this.maxKeys) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  /** Examines up to `budget` counters, continuing where the last call stopped; returns how many it removed. */
  sweep(now: number, budget: number): number {
    let removed = 0;
    this.#cursor ??= this.#map.entries();
    for (let i = 0; i < budget; i++) {
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        break;
      }
      if (next.value[1].expiresAt <= now) {
        this.#map.delete(next.value[0]);
        removed++;
      }
    }
    return removed;
  }
}

const countersByStore = new WeakMap<KvsStore, MemoryCounters>();

/**
 * The counters of `store`, created on first use with `maxKeys` (later callers share them as they
 * are). Keyed weakly, so they go when the store does.
 */
export function memoryCountersOf(store: KvsStore, maxKeys: number): MemoryCounters {
  let counters = countersByStore.get(store);
  if (counters === undefined) {
    counters = new MemoryCounters(maxKeys);
    countersByStore.set(store, counters);
  }
  return counters;
}

/** The same algorithms as the Redis script, in process: a decision is synchronous, hence atomic. */
export class MemoryRateLimitBackend implements RateLimitBackend {
  readonly remote = false;

  constructor(
    readonly counters: MemoryCounters,
    private readonly clock: () => number,
  ) {}

  decide(requests: readonly CounterRequest[]): BackendDecision {
    const now = this.clock();
    this.counters.sweep(now, SWEEP_STEP);
    const found: (Counter | undefined)[] = [];
    const evaluations: Evaluation[] = [];
    let allowed = true;
    for (const { key, policy, cost } of requests) {
      const counter = this.counters.get(key, now);
      const evaluation = evaluate(
        policy.code,
        policy.limit,
        policy.window,
        cost,
        counter,
        now,
        true,
      );
      found.push(counter);
      evaluations.push(evaluation);
      if (!evaluation.allowed) allowed = false;
    }
    if (allowed) {
      evaluations.forEach((evaluation, i) => {
        if (evaluation.next !== undefined) {
          this.counters.put(requests[i]!.key, found[i], evaluation.next, now);
        }
      });
      return { allowed, counters: evaluations };
    }
    // Refused: the policies that would have admitted the request report their unspent state.
    const counters = evaluations.map((evaluation, i) => {
      if (!evaluation.allowed) return evaluation;
      const { policy, cost } = requests[i]!;
      return evaluate(policy.code, policy.limit, policy.window, cost, found[i], now, false);
    });
    return { allowed, counters };
  }
}
