import type { ResolvedPolicy } from '../rate-limit.policy.js';

/** One counter of a decision: its full key, its policy and the units to spend. */
export interface CounterRequest {
  readonly key: string;
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

/** Decides a request over several counters in one atomic step. */
export interface RateLimitBackend {
  /** Memory answers synchronously; Redis with a promise. */
  decide(requests: readonly CounterRequest[]): BackendDecision | Promise<BackendDecision>;
  /** True when `decide` does I/O (and so needs the timeout). */
  readonly remote: boolean;
}

/** Settings of the memory backend. */
export interface MemoryBackendOptions {
  /** Milliseconds now. */
  clock: () => number;
  /** Most counters kept per store. */
  maxKeys: number;
}
