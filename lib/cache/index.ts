/**
 * Caching on a KvsModule store: method decorators, the injectable KvsCache, the module, and the
 * default codec.
 */
export { Cacheable, type CacheableOptions } from './cacheable.decorator.js';
export { CachePut, type CachePutOptions } from './cache-put.decorator.js';
export { CacheEvict, type CacheEvictOptions } from './cache-evict.decorator.js';
export type { CacheMethodDecorator } from './cache.method.js';
export { taggedJsonCodec } from './cache.codec.js';
export { defaultCacheKey, hashArguments } from './cache.keys.js';
export type { KvsCacheEntryOptions, KvsCacheLoadOptions } from './cache.options.js';
export type { KvsCacheStats } from './cache.stats.js';
export { KvsCacheModule } from './kvs-cache.module.js';
export type {
  KvsCacheModuleAsyncOptions,
  KvsCacheModuleOptions,
  KvsCacheOptionsFactory,
} from './cache-module.options.js';
export { KvsCache, type KvsCacheTarget, type KvsCacheWrapOptions } from './kvs-cache.service.js';
