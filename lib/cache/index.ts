/**
 * Caching on a KvsModule store: method decorators, the injectable KvsCache, the module, and the
 * default codec.
 */
export { Cacheable } from './decorators/cacheable.decorator.js';
export { CachePut } from './decorators/cache-put.decorator.js';
export { CacheEvict } from './decorators/cache-evict.decorator.js';
export {
  CacheableMany,
  type CacheableManyDecorator,
} from './decorators/cacheable-many.decorator.js';
export type { CacheableManyOptions, KvsCacheWrapManyOptions } from './batch/batch.options.js';
export type { CacheMethodDecorator } from './decorators/cache-method.decorator.js';
export { taggedJsonCodec } from './entry/cache.codec.js';
export { defaultCacheKey, hashArguments } from './entry/cache.keys.js';
export type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
  KvsCacheEntryOptions,
  KvsCacheLoadOptions,
  KvsCacheModuleAsyncOptions,
  KvsCacheModuleOptions,
  KvsCacheOptionsFactory,
  KvsCacheReadOptions,
  KvsCacheSetOptions,
  KvsCacheTarget,
  KvsCacheWrapOptions,
} from './cache.options.js';
export type { KvsCacheStats } from './cache.stats.js';
export type { KvsLocalOptions, KvsLocalTierOptions } from './local/local.options.js';
export { KvsCacheModule } from './cache.module.js';
export { KvsCache } from './cache.service.js';
export { KvsCacheHeaderInterceptor } from './cache.header.interceptor.js';
export { KvsCacheTimeoutError } from './grace/grace.errors.js';
export type { KvsGraceOptions, KvsLoadTimeoutOptions } from './grace/grace.options.js';
