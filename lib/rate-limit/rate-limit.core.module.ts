import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RateLimitCoverage } from './rate-limit.coverage.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimiter } from './rate-limiter.service.js';

/**
 * Rate limiting of an application (internal): `RateLimiter`, `RateLimitGuard`, and the startup
 * check of which `@RateLimit` routes a guard covers. KvsModule and RateLimitModule both import
 * it; it is a static module, so Nest creates it once per application whichever imports it and in
 * whatever order. It reads the settings `RateLimitModule.forRoot()` registers
 * (RATE_LIMIT_OPTIONS), or the defaults.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [RateLimiter, RateLimitGuard, RateLimitCoverage],
  exports: [RateLimiter, RateLimitGuard],
})
export class RateLimitCoreModule {}
