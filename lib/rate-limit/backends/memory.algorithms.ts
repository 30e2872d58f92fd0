/**
 * The three algorithms in JavaScript, for the memory backend. They mirror the Lua script in
 * redis.script.ts line for line (same formulas, same order of operations, same rounding), and
 * one test suite runs both against the same timeline, so memory and Redis decide alike.
 */
import type { AlgorithmCode } from '../rate-limit.policy.js';
import type { CounterOutcome } from './rate-limit-backend.contract.js';

/**
 * A counter's state. Fixed window: `a` window index, `b` count. Sliding window: `a` window index,
 * `b` current count, `c` previous count. Token bucket: `a` tokens, `b` time of the last spend.
 */
export interface CounterState {
  a: number;
  b: number;
  c: number;
}

/** An outcome plus the state to store if the whole decision admits the request. */
export interface Evaluation extends CounterOutcome {
  /** The new state and its time to live in ms; undefined when nothing changes (cost 0). */
  next: (CounterState & { ttl: number }) | undefined;
}

/** Tolerance for floating-point noise when comparing units (a billionth of a request). */
export const EPSILON = 1e-9;
/**
 * Waits are computed to admit with half of EPSILON to spare, so the request is admitted at exactly
 * the reported millisecond despite rounding, and not one millisecond earlier.
 */
const HALF_EPSILON = EPSILON / 2;

/**
 * Evaluates one counter at `now` (ms) without changing it. With `spend`, an admitted request's cost
 * is counted in the outcome and in `next`; without it (the decision as a whole was refused), the
 * outcome describes the counter as it stays.
 */
export function evaluate(
  code: AlgorithmCode,
  limit: number,
  window: number,
  cost: number,
  state: CounterState | undefined,
  now: number,
  spend: boolean,
): Evaluation {
  if (code === 'f') return fixedWindow(limit, window, cost, state, now, spend);
  if (code === 's') return slidingWindow(limit, window, cost, state, now, spend);
  return tokenBucket(limit, window, cost, state, now, spend);
}

function fixedWindow(
  limit: number,
  window: number,
  cost: number,
  state: CounterState | undefined,
  now: number,
  spend: boolean,
): Evaluation {
  const index = Math.floor(now / window);
  let count = state !== undefined && state.a >= index ? state.b : 0;
  const end = (index + 1) * window - now;
  const allowed = count + cost <= limit;
  let next: Evaluation['next'];
  if (allowed && spend && cost > 0) {
    count = count + cost;
    next = { a: index, b: count, c: 0, ttl: end };
  }
  return {
    allowed,
    remaining: Math.max(0, limit - count),
    resetMs: count > 0 ? Math.ceil(end) : 0,
    retryAfterMs: allowed ? 0 : Math.ceil(end),
    next,
  };
}

function slidingWindow(
  limit: number,
  window: number,
  cost: number,
  state: CounterState | undefined,
  now: number,
  spend: boolean,
): Evaluation {
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
  let estimate = previous * (1 - elapsed / window) + current;
  const allowed = estimate + cost <= limit + EPSILON;
  let next: Evaluation['next'];
  let retry = 0;
  if (allowed) {
    if (spend && cost > 0) {
      current = current + cost;
      estimate = estimate + cost;
      next = { a: index, b: current, c: previous, ttl: (index + 2) * window - now };
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
  const reset =
    current > 0 ? (index + 2) * window - now : previous > 0 ? (index + 1) * window - now : 0;
  return {
    allowed,
    remaining: Math.max(0, Math.floor(limit - estimate + EPSILON)),
    resetMs: Math.ceil(reset),
    retryAfterMs: retry,
    next,
  };
}

function tokenBucket(
  limit: number,
  window: number,
  cost: number,
  state: CounterState | undefined,
  now: number,
  spend: boolean,
): Evaluation {
  const rate = limit / window;
  let tokens = limit;
  if (state !== undefined) tokens = Math.min(limit, state.a + Math.max(0, now - state.b) * rate);
  const allowed = tokens + EPSILON >= cost;
  let next: Evaluation['next'];
  if (allowed && spend && cost > 0) {
    tokens = tokens - cost;
    next = { a: tokens, b: now, c: 0, ttl: (limit - tokens) / rate };
  }
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens + EPSILON)),
    resetMs: Math.ceil((limit - tokens) / rate),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - tokens - HALF_EPSILON) / rate),
    next,
  };
}
