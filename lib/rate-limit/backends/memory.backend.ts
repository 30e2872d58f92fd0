import { evaluate, type Evaluation } from './memory.algorithms.js';
import type { Counter, MemoryCounters } from './memory.counters.js';
import { refund } from './memory.refund.js';
import type {
  BackendDecision,
  CounterOutcome,
  CounterRequest,
  DecideMode,
  RateLimitBackend,
} from './rate-limit-backend.contract.js';
import { withLockouts } from './lockouts.js';

/** Counters examined for expiry per decision: reclaiming keeps pace with any rate of new keys. */
const SWEEP_STEP = 4;

/** The same algorithms as the Redis script, in process: a decision is synchronous, hence atomic. */
export class MemoryRateLimitBackend implements RateLimitBackend {
  readonly remote = false;

  constructor(
    readonly counters: MemoryCounters,
    private readonly clock: () => number,
  ) {}

  decide(requests: readonly CounterRequest[], mode: DecideMode = 'spend'): BackendDecision {
    const now = this.clock();
    this.counters.sweep(now, SWEEP_STEP);
    const found: (Counter | undefined)[] = [];
    const evaluations: Evaluation[] = [];
    const locked: number[] = [];
    let allowed = true;
    for (const { key, blockKey, policy, cost } of requests) {
      const counter = this.counters.get(key, now);
      const { limit, window } = policy;
      const evaluation = evaluate(policy.code, { limit, window, cost, state: counter, now });
      const until = this.counters.get(blockKey, now)?.a ?? 0;
      found.push(counter);
      evaluations.push(evaluation);
      locked.push(until > now ? until : 0);
      if (!evaluation.allowed || until > now) allowed = false;
    }
    if (allowed && mode === 'spend') {
      const counters: CounterOutcome[] = evaluations.map((e, i) => {
        const { remaining, resetMs, spent } = e;
        if (spent === undefined) return { allowed: true, remaining, resetMs, retryAfterMs: 0 };
        this.counters.put(requests[i]!.key, found[i], spent.next, now);
        return {
          allowed: true,
          remaining: spent.remaining,
          resetMs: spent.resetMs,
          retryAfterMs: 0,
        };
      });
      return { allowed, counters };
    }
    const lockouts = withLockouts(requests, evaluations, locked, now, mode);
    for (const [blockKey, until] of lockouts.set) {
      this.counters.put(blockKey, this.counters.get(blockKey, now), lockout(until, now), now);
    }
    return { allowed, counters: lockouts.counters };
  }

  refund(requests: readonly CounterRequest[]): boolean {
    const now = this.clock();
    let wasFull = false;
    for (const { key, policy, cost } of requests) {
      const counter = this.counters.get(key, now);
      const { limit, window } = policy;
      const r = refund(policy.code, { limit, window, cost, state: counter, now });
      if (r.wasFull) wasFull = true;
      if (r.next !== undefined) this.counters.put(key, counter, r.next, now);
    }
    return wasFull;
  }

  reset(keys: readonly string[]): void {
    for (const key of keys) this.counters.delete(key);
  }

  block(blockKey: string, ms: number): void {
    const now = this.clock();
    this.counters.put(blockKey, this.counters.get(blockKey, now), lockout(now + ms, now), now);
  }
}

const lockout = (until: number, now: number) => ({ a: until, b: 0, c: 0, ttl: until - now });
