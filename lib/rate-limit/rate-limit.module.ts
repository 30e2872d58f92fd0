import { Module, type DynamicModule } from '@nestjs/common';
import { KvsInvalidArgumentError } from '../store/index.js';
import { RateLimitConfigurableModule } from './rate-limit.module-definition.js';
import {
  resolveRateLimitOptions,
  type RateLimitModuleAsyncOptions,
  type RateLimitModuleRootOptions,
} from './rate-limit.options.js';
import { assertAsyncOptions } from '../shared/async-options.js';

/**
 * Provides `RateLimiter` and `RateLimitGuard` over a KvsModule store (memory or Redis). Global by
 * default. Add the guard globally with `{ provide: APP_GUARD, useClass: RateLimitGuard }`, or per
 * controller or route with `@UseGuards(RateLimitGuard)`.
 */
@Module({})
export class RateLimitModule extends RateLimitConfigurableModule {
  /** Registers rate limiting with static options (checked here, so mistakes fail at startup). */
  static override forRoot(options: RateLimitModuleRootOptions = {}): DynamicModule {
    resolveRateLimitOptions(options);
    return super.forRoot(options);
  }

  /** Registers rate limiting with options from a factory, a class, or an existing provider. */
  static override forRootAsync(options: RateLimitModuleAsyncOptions): DynamicModule {
    assertAsyncOptions('RateLimitModule', options, (m) => new KvsInvalidArgumentError(m));
    return super.forRootAsync(options);
  }
}
