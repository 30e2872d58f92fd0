import { Module, type ConfigurableModuleAsyncOptions, type DynamicModule } from '@nestjs/common';
import { assertAsyncOptions } from '../shared/async-options.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { KvsCacheConfigurableModule } from './cache.module-definition.js';
import type { KvsCacheModuleOptions } from './cache.options.js';
import { resolveCacheSettings } from './cache.settings.js';
import { splitCacheSwitch, type KvsCacheSwitch } from './cache.switch.js';

/**
 * The settings of caching on a KvsModule store: `@Cacheable`, `@CachePut` and `@CacheEvict` on any
 * provider or controller method, and the injectable {@link KvsCache}. KvsModule alone already
 * makes them work with the defaults; register this once per application (it is global, in any
 * module, before or after KvsModule) to change them, or to turn caching off (`enabled: false`).
 * It uses the store KvsModule registered under `store` (the default store if omitted).
 */
@Module({})
export class KvsCacheModule extends KvsCacheConfigurableModule {
  /** Registers the cache with static options; no options = the defaults on the default store. */
  static override forRoot(options: KvsCacheModuleOptions & KvsCacheSwitch = {}): DynamicModule {
    resolveCacheSettings(splitCacheSwitch(options).rest);
    return super.forRoot(options);
  }

  /** Registers the cache with options from a factory, a class, or an existing provider. */
  static override forRootAsync(
    options: ConfigurableModuleAsyncOptions<
      KvsCacheModuleOptions & KvsCacheSwitch,
      'createKvsCacheOptions'
    >,
  ): DynamicModule {
    assertAsyncOptions('KvsCacheModule', options, (m) => new KvsInvalidArgumentError(m));
    return super.forRootAsync(options);
  }
}
