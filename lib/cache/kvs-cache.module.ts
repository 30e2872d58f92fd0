import { Module, type DynamicModule } from '@nestjs/common';
import { KvsCacheConfigurableModule } from './cache.module-definition.js';
import {
  resolveCacheSettings,
  type KvsCacheModuleAsyncOptions,
  type KvsCacheModuleOptions,
} from './cache-module.options.js';
import { KvsInvalidArgumentError } from '../store/index.js';

/**
 * Caching on a KvsModule store: `@Cacheable`, `@CachePut` and `@CacheEvict` on any provider or
 * controller method, and the injectable {@link KvsCache}. Register it once per application (it is
 * global); it uses the store KvsModule registered under `store` (the default store if omitted).
 */
@Module({})
export class KvsCacheModule extends KvsCacheConfigurableModule {
  /** Registers the cache with static options; no options = the defaults on the default store. */
  static override forRoot(options: KvsCacheModuleOptions = {}): DynamicModule {
    resolveCacheSettings(options);
    return super.forRoot(options);
  }

  /** Registers the cache with options from a factory, a class, or an existing provider. */
  static override forRootAsync(options: KvsCacheModuleAsyncOptions): DynamicModule {
    const sources = (['useFactory', 'useClass', 'useExisting'] as const).filter(
      (k) => options?.[k] !== undefined,
    );
    if (sources.length !== 1) {
      throw new KvsInvalidArgumentError(
        `KvsCacheModule.forRootAsync needs exactly one of useFactory, useClass or useExisting, got ${sources.length === 0 ? 'none' : sources.join(' and ')}.`,
      );
    }
    return super.forRootAsync(options);
  }
}
