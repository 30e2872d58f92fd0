import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { KvsInvalidArgumentError } from '../store/index.js';
import { KVS_CACHE_OPTIONS } from './cache.constants.js';
import { KvsCacheCoreModule } from './cache.core.module.js';
import { cacheMessages } from './cache.messages.js';
import type { KvsCacheSwitch } from './cache.switch.js';
import type { KvsCacheModuleOptions } from './cache.options.js';

/** Applications (by their module container) that registered KvsCacheModule already. */
const claimed = new WeakSet<object>();

/** Token of the provider that fails startup when an application registers the settings twice. */
const KVS_CACHE_CLAIM = 'KVS_CACHE_CLAIM';

/**
 * forRoot/forRootAsync of a global module that only provides the cache's settings; the cache
 * itself is the core module it imports (as KvsModule does).
 */
export const { ConfigurableModuleClass: KvsCacheConfigurableModule } =
  new ConfigurableModuleBuilder<KvsCacheModuleOptions & KvsCacheSwitch>({
    optionsInjectionToken: KVS_CACHE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createKvsCacheOptions')
    .setExtras({}, (definition) => ({
      ...definition,
      global: true,
      imports: [...(definition.imports ?? []), KvsCacheCoreModule],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: KVS_CACHE_CLAIM,
          useFactory: (container: ModulesContainer): true => {
            if (claimed.has(container)) throw new KvsInvalidArgumentError(cacheMessages.twice());
            claimed.add(container);
            return true;
          },
          inject: [ModulesContainer],
        },
      ],
      exports: [KVS_CACHE_OPTIONS],
    }))
    .build();
