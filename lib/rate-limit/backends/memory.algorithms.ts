/**
 * The four algorithms in JavaScript, for the memory backend. They mirror the Lua script in
 * redis.script.ts line for line (same formulas, same order of operations, same rounding), and
 * one test suite runs both against the same timeline, so memory and Redis decide alike.
 */
import type { AlgorithmCode } from '../rate-limit.policy.js';
import type { CounterOutcome } from './rate-limit-backend.contract.js';

/**
 * A counter's state. Fixed window: `a` window index, `b` count. Sliding window: `a` window index,
 * `b` current count, `c` previous count. Token bucket: `a` tokens, `b` time of the last spend.
 * GCRA: `a` the theoretical arrival time. A lockout: `a` the time it ends.
 */
export interface CounterState {
  a: number;
  b: number;
  c: number;
}

/** A counter as an algorithm reads it: its policy's numbers, the cost, its state, and now (ms). */
export interface CounterInput {
  limit: number;
  window: number;
  cost: number;
  state: CounterState | undefined;
  now: number;
}

/** A state to store and its time to live in ms. */
export type NextState = CounterState & { ttl: number };

/**
 * A counter at `now` without spending (`allowed`: whether it admits `cost`), plus, when it admits
 * a cost > 0, its outcome and state after spending it.
 */
export interface Evaluation extends CounterOutcome {
  spent: { remaining: number; resetMs: number; next: NextState } | undefined;
}

/** Tolerance for floating-point noise when comparing units (a billionth of a request). */
export const EPSILON = 1e-9;
/**
 * Waits are computed to admit with half of EPSILON to spare, so the request is admitted at exactly
 * the reported millisecond despite rounding, and not one millisecond earlier.
 */
export const HALF_EPSILON = EPSILON / 2;

/** Evaluates one counter at `now` (ms) for a request of `cost`, without changing it. */
export function evaluate(code: AlgorithmCode, input: CounterInput): Evaluation {
  if (code === 'f') return fixedWindow(input);
  if (code === 's') return slidingWindow(input);
  if (code === 'b') return tokenBucket(input);
  return gcra(input);
}

function fixedWindow({ limit, window, cost, state, now }: CounterInput): Evaluation {
  const index = Math.floor(now / window);
  const count = state !== undefined && state.a >= index ? state.b : 0;
  const finish = Math.ceil((index + 1) * window - now);
  const allowed = count + cost <= limit;
  let spent: Evaluation['spent'];
  if (allowed && cost > 0) {
    const next = count + cost;
    spent = {
      remaining: Math.max(0, limit - next),
      resetMs: finish,
      next: { a: index, b: next, c: 0, ttl: finish },
    };
  }
  return {
    allowed,
    remaining: Math.max(0, limit - count),
    resetMs: count > 0 ? finish : 0,
    retryAfterMs: allowed ? 0 : finish,
    spent,
  };
}

function slidingWindow({ limit, window, cost, state, now }: CounterInput): Evaluation {
  const index = Math.floor(now / window);
  const elapsed = now - index * window;
  let current = 0;
  let previous = 0;
  if (state !== undefined) {
    if (state.a >= index) {
      current = state.b;
      previous = state.c;
    } else if (state.a === index - 1) {
      previous = state.b;
    }
  }
  const estimate = previous * (1 - elapsed / window) + current;
  const full = previous > 0 ? Math.ceil((index + 1) * window - now) : 0;
  const later = Math.ceil((index + 2) * window - now);
  const allowed = estimate + cost <= limit + EPSILON;
  let spent: Evaluation['spent'];
  let retry = 0;
  if (allowed) {
    if (cost > 0) {
      spent = {
        remaining: Math.max(0, Math.floor(limit - (estimate + cost) + EPSILON)),
        resetMs: later,
        next: { a: index, b: current + cost, c: previous, ttl: later },
      };
    }
  } else {
    // The wait until previous * (1 - x / window) + current + cost <= limit, in this window if the
    // previous window's share can decay enough, else in the next one (where `current` decays).
    const room = limit - cost + HALF_EPSILON;
    let wait = -1;
    if (current <= room && previous > 0) {
      const x = window * (1 - (room - current) / previous);
      if (x < window) wait = x - elapsed;
    }
    if (wait < 0) {
      const y = current > 0 ? window * (1 - room / current) : 0;
      wait = window - elapsed + Math.max(0, y);
    }
    retry = Math.ceil(wait);
  }
  return {
    allowed,
    remaining: Math.max(0, Math.floor(limit - estimate + EPSILON)),
    resetMs: current > 0 ? later : full,
    retryAfterMs: retry,
    spent,
  };
}

function tokenBucket({ limit, window, cost, state, now }: CounterInput): Evaluation {
  const rate = limit / window;
  const tokens = bucketTokens(limit, rate, state, now);
  const allowed = tokens + EPSILON >= cost;
  let spent: Evaluation['spent'];
  if (allowed && cost > 0) {
    const left = tokens - cost;
    spent = {
      remaining: Math.max(0, Math.floor(left + EPSILON)),
      resetMs: Math.ceil((limit - left) / rate),
      next: { a: left, b: now, c: 0, ttl: Math.ceil((limit - left) / rate) },
    };
  }
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens + EPSILON)),
    resetMs: Math.ceil((limit - tokens) / rate),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens - HALF_EPSILON) / rate),
    spent,
  };
}

/** The tokens in a bucket at `now`, refilled since its last spend. */
export function bucketTokens(
  limit: number,
  rate: number,
  state: CounterState | undefined,
  now: number,
): number {
  return state === undefined ? limit : Math.min(limit, state.a + Math.max(0, now - state.b) * rate);
}

/**
 * GCRA: one request every `interval = window / limit` ms, `debt` is how far the theoretical
 * arrival time (TAT) is ahead of now; a request fits while its debt stays within the window.
 * Computed on the debt (small numbers), not on epoch times, so no precision is lost.
 */
function gcra({ limit, window, cost, state, now }: CounterInput): Evaluation {
  const interval = window / limit;
  const debt = state === undefined ? 0 : Math.max(0, state.a - now);
  const after = debt + cost * interval;
  const allowed = after <= window + EPSILON;
  let spent: Evaluation['spent'];
  if (allowed && cost > 0) {
    spent = {
      remaining: Math.max(0, Math.floor((window - after) / interval + EPSILON)),
      resetMs: Math.ceil(after),
      next: { a: now + after, b: 0, c: 0, ttl: Math.ceil(after) },
    };
  }
  return {
    allowed,
    remaining: Math.max(0, Math.floor((window - debt) / interval + EPSILON)),
    resetMs: Math.ceil(debt),
    retryAfterMs: allowed ? 0 : Math.ceil(after - window - HALF_EPSILON),
    spent,
  };
}
