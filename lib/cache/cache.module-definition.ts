import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KVS_CACHE_OPTIONS } from './cache.constants.js';
import { KvsCacheExplorer } from './cache.explorer.js';
import type { KvsCacheModuleOptions } from './cache.options.js';
import { KvsCache } from './cache.service.js';
import { KvsCacheRuntime } from './engine/cache.runtime.js';

/** forRoot/forRootAsync of a global module that provides KvsCache and wires the decorators. */
export const { ConfigurableModuleClass: KvsCacheConfigurableModule } =
  new ConfigurableModuleBuilder<KvsCacheModuleOptions>({ optionsInjectionToken: KVS_CACHE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createKvsCacheOptions')
    .setExtras({}, (definition) => ({
      ...definition,
      global: true,
      imports: [...(definition.imports ?? []), DiscoveryModule],
      providers: [...(definition.providers ?? []), KvsCacheRuntime, KvsCache, KvsCacheExplorer],
      exports: [KvsCache],
    }))
    .build();
