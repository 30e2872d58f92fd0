import { Module, type DynamicModule } from '@nestjs/common';
import { KvsCacheCoreModule } from '../cache/cache.core.module.js';
import { KvsStoreModule } from '../module/kvs.module.js';
import type { KvsModuleAsyncOptions, KvsModuleRootOptions } from '../module/kvs-module.options.js';
import { RateLimitCoreModule } from '../rate-limit/rate-limit.core.module.js';

/**
 * Registers a key-value store (memory or Redis) and exports it under `getKvsToken(name)`; inject
 * it with `@InjectKvs(name)`. Register each name once per application; the store is closed when
 * the application shuts down (a client you passed stays open).
 *
 * It also brings caching (`@Cacheable`, `@CachePut`, `@CacheEvict`, `KvsCache`) and rate limiting
 * (`RateLimitGuard`, `@RateLimit`, `RateLimiter`) with their defaults, on the default store;
 * `KvsCacheModule.forRoot()` and `RateLimitModule.forRoot()` only change those settings.
 */
@Module({})
export class KvsModule extends KvsStoreModule {
  /** Registers a store from static options; no options = the default in-process memory store. */
  static override forRoot(options?: KvsModuleRootOptions): DynamicModule {
    return withFeatures(super.forRoot(options));
  }

  /** Registers a store whose options come from a factory, a class, or an existing provider. */
  static override forRootAsync(options: KvsModuleAsyncOptions): DynamicModule {
    return withFeatures(super.forRootAsync(options));
  }
}

/**
 * Adds the caching and rate-limiting cores. They are static global modules, so however many
 * stores an application registers, Nest creates each core once.
 */
function withFeatures(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    imports: [...(definition.imports ?? []), KvsCacheCoreModule, RateLimitCoreModule],
  };
}
