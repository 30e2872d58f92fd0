/**
 * Compile-time checks of the rate limiter's typing (run by `npm run lint`'s tsc, not by Jest): a
 * degraded decision's `storeError` is a `KvsError`, so its stable `code` needs no cast.
 */
import type { KvsError, KvsErrorCode, RateLimitDecision } from '../../lib/index.js';

export function storeErrorCode(decision: RateLimitDecision): KvsErrorCode | undefined {
  return decision.storeError?.code;
}

export function storeError(decision: RateLimitDecision): KvsError | undefined {
  return decision.storeError;
}
