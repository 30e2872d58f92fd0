/**
 * The store core: interfaces, errors, the memory and Redis backends and typed views. It imports
 * nothing from Nest, so plain Node code can use it through `nestjs-kvs/store`.
 */
export type { KvsStore, ListableStore, ScanOptions, Store } from './kvs.interfaces.js';
export {
  KvsBackendError,
  KvsClosedError,
  KvsConnectionError,
  KvsError,
  KvsHandshakeError,
  KvsInvalidArgumentError,
  KvsNotFoundError,
  KvsUnexpectedError,
  KvsValueTypeError,
  isKvsError,
  type KvsErrorCode,
} from './kvs.errors.js';
export { createMemoryStore, MemoryStore, type MemoryStoreOptions } from './memory/memory.store.js';
export { createRedisStore, RedisStore, type ScriptArgument } from './redis/redis.store.js';
export { defineScript, type RedisScript } from './redis/redis.scripts.js';
export type { RedisNodeAddress, RedisStoreOptions } from './redis/redis.options.js';
export {
  MAX_KEY_BYTES,
  MAX_SCAN_BATCH_SIZE,
  MAX_TTL_MS,
  MAX_VALUE_BYTES,
} from './kvs.validation.js';
export {
  createTypedStore,
  jsonCodec,
  stringCodec,
  type KvsCodec,
  type TypedStore,
  type TypedStoreOptions,
} from './typed.store.js';
export {
  channelOf,
  type KvsChannel,
  type KvsChannelHandler,
  type KvsSubscription,
} from './kvs.channel.js';
