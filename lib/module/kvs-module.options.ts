import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import { assertAsyncOptions } from '../shared/async-options.js';
import { assertKnownKeys } from '../shared/known-keys.js';
import { MEMORY_STORE_OPTIONS } from '../store/memory/memory.store.js';
import { REDIS_STORE_OPTIONS } from '../store/redis/redis.options.js';
import { toInvalid } from '../store/kvs.errors.js';
import {
  KvsInvalidArgumentError,
  type MemoryStoreOptions,
  type RedisStoreOptions,
} from '../store/index.js';
import { describeValue } from '../shared/describe.js';

/** The store backends KvsModule can create. */
export const KVS_STORE_TYPES = ['memory', 'redis'] as const;

/** Options of one store: an in-process memory store, or a Redis store (which may wrap your client). */
export type KvsModuleOptions =
  ({ type: 'memory' } & MemoryStoreOptions) | ({ type: 'redis' } & RedisStoreOptions);

/** Options known when the module is declared, in `forRoot` and `forRootAsync` alike. */
export interface KvsModuleExtras {
  /** Registers the store under `getKvsToken(name)`; omit it for the default store (`KVS_STORE`). */
  name?: string;
  /** Makes the store injectable in every module without importing KvsModule. Default false. */
  isGlobal?: boolean;
}

/** Argument of `KvsModule.forRoot`. */
export type KvsModuleRootOptions = KvsModuleOptions & KvsModuleExtras;

/** Argument of `KvsModule.forRootAsync`: `imports`, then `useFactory` + `inject`, `useClass` or `useExisting`. */
export type KvsModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  KvsModuleOptions,
  'createKvsOptions'
> &
  KvsModuleExtras;

/** A class that provides the options, for `forRootAsync({ useClass })` or `{ useExisting }`. */
export interface KvsOptionsFactory {
  /** The options of the store (memory or Redis). */
  createKvsOptions(): Promise<KvsModuleOptions> | KvsModuleOptions;
}

/** Checks options before any store is created. Throws `KvsInvalidArgumentError` naming the fix. */
export function assertKvsModuleOptions(options: unknown): asserts options is KvsModuleOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid KvsModule options: expected an object such as { type: 'memory' } or { type: 'redis', url: 'redis://localhost:6379' }, got ${describeValue(options)}.`,
    );
  }
  const { type } = options as { type?: unknown };
  if (!(KVS_STORE_TYPES as readonly unknown[]).includes(type)) {
    throw new KvsInvalidArgumentError(
      `Invalid KvsModule option type: expected one of ${KVS_STORE_TYPES.map((t) => `'${t}'`).join(', ')}, got ${describeValue(type)}.`,
    );
  }
  const own = type === 'memory' ? MEMORY_STORE_OPTIONS : REDIS_STORE_OPTIONS;
  const other = type === 'memory' ? REDIS_STORE_OPTIONS : MEMORY_STORE_OPTIONS;
  const otherType = type === 'memory' ? 'redis' : 'memory';
  assertKnownKeys(
    `KvsModule options of type '${type === 'memory' ? 'memory' : 'redis'}'`,
    options,
    { type: true, name: true, isGlobal: true, ...own },
    toInvalid,
    (key) =>
      Object.hasOwn(other, key)
        ? `'${key}' is an option of the ${otherType} store: use type: '${otherType}', or drop it.`
        : undefined,
  );
}

/** Checks that `forRootAsync` names exactly one source of options. */
export function assertKvsAsyncOptions(options: KvsModuleAsyncOptions): void {
  assertAsyncOptions('KvsModule', options, (m) => new KvsInvalidArgumentError(m));
}
