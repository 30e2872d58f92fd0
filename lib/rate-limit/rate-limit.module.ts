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
 * The settings of `RateLimiter` and `RateLimitGuard` over a KvsModule store (memory or Redis).
 * KvsModule alone already provides both with the defaults; register this once per application
 * (it is global, in any module, before or after KvsModule) to change them, or to turn rate
 * limiting off (`enabled: false`). Add the guard globally with
 * `{ provide: APP_GUARD, useClass: RateLimitGuard }`, or per controller or route with
 * `@UseGuards(RateLimitGuard)`.
 */
@Module({})
export class RateLimitModule extends RateLimitConfigurableModule {
  /** Registers rate limiting with static options (checked here, so mistakes fail at startup). */
  static override forRoot(options: RateLimitModuleRootOptions = {}): DynamicModule {
    assertGlobal(options.isGlobal);
    resolveRateLimitOptions(options);
    return super.forRoot(options);
  }

  /** Registers rate limiting with options from a factory, a class, or an existing provider. */
  static override forRootAsync(options: RateLimitModuleAsyncOptions): DynamicModule {
    assertAsyncOptions('RateLimitModule', options, (m) => new KvsInvalidArgumentError(m));
    assertGlobal(options.isGlobal);
    return super.forRootAsync(options);
  }
}

/** The settings serve the application's one RateLimiter: a module-local copy cannot exist. */
function assertGlobal(isGlobal: unknown): void {
  if (isGlobal === undefined || isGlobal === true) return;
  throw new KvsInvalidArgumentError(
    'Invalid RateLimitModule option isGlobal: the settings apply to the whole application (to the ' +
      'RateLimiter and RateLimitGuard that KvsModule provides), so only true is allowed; drop it. For ' +
      'limits of your own, build a limiter: new RateLimiter({ store, ... }).',
  );
}
