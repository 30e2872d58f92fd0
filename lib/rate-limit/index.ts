/**
 * Rate limiting on a KvsModule store: a guard and decorators for HTTP routes, and a programmatic
 * limiter for everything else. Sliding window, fixed window, token bucket and GCRA; several policies
 * decided in one atomic step; one round trip per decision on Redis.
 */
export { RATE_LIMIT_OPTIONS } from './rate-limit.constants.js';
export { RateLimit, SkipRateLimit } from './rate-limit.decorator.js';
export {
  RateLimitExceededException,
  RateLimitUnavailableException,
} from './rate-limit.exception.js';
export { RateLimitGuard, type RateLimitRequest } from './rate-limit.guard.js';
export { rateLimitHeaders } from './rate-limit.headers.js';
export type {
  RateLimitAlgorithm,
  RateLimitConsumeOptions,
  RateLimitCount,
  RateLimitDecision,
  RateLimitEntry,
  RateLimitHeaderFormat,
  RateLimitPolicy,
  RateLimitPolicyState,
  RateLimitRouteOptions,
  RateLimitStoreErrorPolicy,
  RateLimitValue,
} from './rate-limit.interfaces.js';
export { RateLimitModule } from './rate-limit.module.js';
export type {
  RateLimitModuleAsyncOptions,
  RateLimitModuleOptions,
  RateLimitModuleRootOptions,
  RateLimitOptionsFactory,
  ResolvedRateLimitOptions,
} from './rate-limit.options.js';
export { RateLimiter } from './rate-limiter.service.js';
