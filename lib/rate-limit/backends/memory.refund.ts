/**
 * Refunds in JavaScript, for the memory backend; they mirror REFUND_SCRIPT in redis.scripts.ts.
 * A count never goes below zero and a quota never above its limit, so a refund can never admit
 * more than the limit.
 */
import type { AlgorithmCode } from '../rate-limit.policy.js';
import { bucketTokens, EPSILON, type CounterInput, type NextState } from './memory.algorithms.js';

/** The outcome of one counter's refund: its new state (undefined: nothing to give back). */
export interface Refund {
  /** Whether the counter refused a request of `cost` before the refund. */
  wasFull: boolean;
  next: NextState | undefined;
}

const NOTHING: Refund = { wasFull: false, next: undefined };

export function refund(
  code: AlgorithmCode,
  { limit, window, cost, state, now }: CounterInput,
): Refund {
  if (state === undefined || cost <= 0) return NOTHING;
  const index = Math.floor(now / window);
  if (code === 'f') {
    if (state.a < index) return NOTHING;
    const ttl = Math.ceil((index + 1) * window - now);
    return {
      wasFull: state.b + cost > limit,
      next: { a: state.a, b: Math.max(0, state.b - cost), c: 0, ttl },
    };
  }
  if (code === 's') {
    if (state.a < index - 1) return NOTHING;
    const elapsed = now - index * window;
    let estimate = state.b * (1 - elapsed / window);
    if (state.a >= index) estimate = state.c * (1 - elapsed / window) + state.b;
    const ttl = Math.ceil((state.a + 2) * window - now);
    return {
      wasFull: estimate + cost > limit + EPSILON,
      next: { a: state.a, b: Math.max(0, state.b - cost), c: state.c, ttl },
    };
  }
  if (code === 'b') {
    const rate = limit / window;
    const tokens = bucketTokens(limit, rate, state, now);
    const left = Math.min(limit, tokens + cost);
    return {
      wasFull: tokens + EPSILON < cost,
      next: { a: left, b: now, c: 0, ttl: Math.ceil((limit - left) / rate) },
    };
  }
  const interval = window / limit;
  const debt = Math.max(0, state.a - now);
  const after = Math.max(0, debt - cost * interval);
  return {
    wasFull: debt + cost * interval > window + EPSILON,
    next: { a: now + after, b: 0, c: 0, ttl: Math.ceil(after) },
  };
}
