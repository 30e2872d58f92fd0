/** Injection token of RateLimitModule's options (a string, so two copies of the package agree). */
export const RATE_LIMIT_OPTIONS = 'KVS_RATE_LIMIT_OPTIONS';

/** Metadata key of `@RateLimit()` policies. */
export const RATE_LIMIT_POLICIES = 'kvs:rate-limit:policies';

/** Metadata key of `@RateLimit()` route options (headers, onStoreError). */
export const RATE_LIMIT_ROUTE_OPTIONS = 'kvs:rate-limit:route-options';

/** Metadata key of `@SkipRateLimit()`. */
export const RATE_LIMIT_SKIP = 'kvs:rate-limit:skip';
