import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  RATE_LIMIT_POLICIES,
  RATE_LIMIT_ROUTE_OPTIONS,
  RATE_LIMIT_SKIP,
} from './rate-limit.constants.js';
import type { RateLimitPolicy, RateLimitRouteOptions } from './rate-limit.interfaces.js';
import { assertRouteOptions, toList } from './rate-limit.options.js';
import { assertUniqueNames, resolvePolicies } from './rate-limit.policy.js';

/**
 * Limits a route, or every route of a controller, to `policies`, all decided in one atomic step.
 * A route's setting beats its controller's. `options` sets the header format and the store
 * failure policy for these routes. Policies are checked when the decorator runs, so a typo fails
 * at startup:
 *
 * `@RateLimit([{ limit: 10, window: 1000, name: 'burst' }, { limit: 1000, window: 3_600_000, name: 'hourly' }])`
 */
export function RateLimit(
  policies: RateLimitPolicy | readonly RateLimitPolicy[],
  options?: RateLimitRouteOptions,
): MethodDecorator & ClassDecorator {
  const list = Object.freeze([...toList(policies)]);
  assertUniqueNames(resolvePolicies(list));
  const decorators = [SetMetadata(RATE_LIMIT_POLICIES, list)];
  if (options !== undefined) {
    assertRouteOptions(options, '@RateLimit()');
    decorators.push(SetMetadata(RATE_LIMIT_ROUTE_OPTIONS, { ...options }));
  }
  return applyDecorators(...decorators);
}

/**
 * Exempts a route, or every route of a controller, from rate limiting. A route's own
 * `@RateLimit()` or `@SkipRateLimit(false)` beats its controller's `@SkipRateLimit()`.
 */
export const SkipRateLimit = (skip = true): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_SKIP, skip);
