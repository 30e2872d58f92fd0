import type { ResolvedPolicy } from '../rate-limit.policy.js';

/** One counter of a decision: its full key, its policy and the units to spend. */
export interface CounterRequest {
  readonly key: string;
  /** The lockout key of the counter's key (`block`), shared by every policy of that key. */
  readonly blockKey: string;
  readonly policy: ResolvedPolicy;
  readonly cost: number;
}

/** What one counter says about a request. */
export interface CounterOutcome {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

/** The outcome of a decision: admitted only when every counter admits, and then all of them spend. */
export interface BackendDecision {
  allowed: boolean;
  counters: CounterOutcome[];
}

/**
 * `'spend'` decides (and sets lockouts); `'peek'` answers what a request would get now, spending
 * nothing and locking nothing.
 */
export type DecideMode = 'spend' | 'peek';

/** A value now (memory) or later (Redis). */
export type Maybe<T> = T | Promise<T>;

/** Decides a request over several counters in one atomic step, and changes counters on request. */
export interface RateLimitBackend {
  /** Memory answers synchronously; Redis with a promise. */
  decide(requests: readonly CounterRequest[], mode?: DecideMode): Maybe<BackendDecision>;
  /**
   * Gives back each request's cost, atomically: a count never goes below zero and a quota never
   * above its limit. True when some counter would have refused a request of that cost before.
   */
  refund(requests: readonly CounterRequest[]): Maybe<boolean>;
  /** Deletes these keys (counters and lockouts), atomically. */
  reset(keys: readonly string[]): Maybe<void>;
  /** Locks `blockKey` out for `ms` from now (replacing a lockout it has). */
  block(blockKey: string, ms: number): Maybe<void>;
  /** True when the methods do I/O (and so need the timeout). */
  readonly remote: boolean;
}

/** Settings of the memory backend. */
export interface MemoryBackendOptions {
  /** Milliseconds now. */
  clock: () => number;
  /** Most counters kept per store. */
  maxKeys: number;
}
