import { Module, type DynamicModule } from '@nestjs/common';
import { assertAsyncOptions } from '../shared/async-options.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { KvsCacheConfigurableModule } from './cache.module-definition.js';
import {
  resolveCacheSettings,
  type KvsCacheModuleAsyncOptions,
  type KvsCacheModuleOptions,
} from './cache.options.js';

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
    assertAsyncOptions('KvsCacheModule', options, (m) => new KvsInvalidArgumentError(m));
    return super.forRootAsync(options);
  }
}
