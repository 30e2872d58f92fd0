import { HttpException, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import type { RateLimitDecision } from './rate-limit.interfaces.js';

/**
 * 429 Too Many Requests, with Nest's usual body `{ statusCode: 429, message: 'Too Many Requests' }`.
 * `decision` says which policy refused the request and when to come back.
 */
export class RateLimitExceededException extends HttpException {
  constructor(
    /** The decision that refused the request. */
    readonly decision: RateLimitDecision,
    message = 'Too Many Requests',
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * 503 Service Unavailable: the store failed (or timed out) and `onStoreError` is `'deny'`.
 * `decision.storeError` holds the cause.
 */
export class RateLimitUnavailableException extends ServiceUnavailableException {
  constructor(
    /** The degraded decision; `decision.storeError` is the failure. */
    readonly decision: RateLimitDecision,
    message = 'Rate limiting is unavailable; try again shortly.',
  ) {
    super(message, { cause: decision.storeError });
  }
}
