import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KvsCacheExplorer } from './cache.explorer.js';
import { KvsCache } from './cache.service.js';
import { KvsCacheRuntime } from './engine/cache.runtime.js';

/**
 * The cache of an application (internal): its runtime, `KvsCache`, and the explorer that wires
 * the decorators. KvsModule and KvsCacheModule both import it; it is a static module, so Nest
 * creates it once per application whichever imports it and in whatever order. It reads the
 * settings `KvsCacheModule.forRoot()` registers (KVS_CACHE_OPTIONS), or the defaults.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [KvsCacheRuntime, KvsCache, KvsCacheExplorer],
  exports: [KvsCache],
})
export class KvsCacheCoreModule {}
