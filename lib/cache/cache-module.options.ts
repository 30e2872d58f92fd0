import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import { KvsInvalidArgumentError, type KvsCodec } from '../store/index.js';
import { taggedJsonCodec } from './cache.codec.js';
import type { LogSink } from '../module/index.js';
import { describeValue as describe } from '../shared/describe.js';
import { checkFlag, checkFunction, checkMs, checkName } from './cache.validation.js';

/** Options of `KvsCacheModule.forRoot()`. Every duration is in milliseconds. */
export interface KvsCacheModuleOptions {
  /** The KvsModule store to cache in (its `name`); the default store when omitted. */
  store?: string;
  /** Prefix of every cache key (`<namespace>:<key>`), so evictions never touch other data. Default `'cache'`. */
  namespace?: string;
  /** How long an entry stays fresh. Default 60_000; 0 = until evicted. */
  ttl?: number;
  /** Stale-while-revalidate: for this long after `ttl`, a stale entry is served while one background call refreshes it. Default 0 (off). */
  staleTtl?: number;
  /** The most any single store step may take before the call goes on without the cache. Default 150. */
  timeout?: number;
  /** Cache `null` and `undefined` results (a hit, distinct from a miss). Default true. */
  cacheNull?: boolean;
  /** Turns values into bytes and back. Default {@link taggedJsonCodec}. */
  codec?: KvsCodec<unknown>;
  /** Default of `lock` on `@Cacheable` and `wrap`: compute a miss once across app instances. Default false. */
  lock?: boolean;
  /** How long a lock holds before it expires by itself (a crashed holder). Default 10_000. */
  lockTtl?: number;
  /** How long callers wait for a lock holder's value before computing it themselves. Default 10_000. */
  lockWait?: number;
  /** Minimum time between two log lines of the same cause (e.g. "Redis unreachable"). Default 10_000. */
  logInterval?: number;
  /** Where warnings go. Default: Nest's `Logger` with the context `KvsCache`. */
  logger?: LogSink;
  /** Wall clock in epoch ms, for stale-while-revalidate. Default `Date.now`; inject one in tests. */
  clock?: () => number;
}

/** Argument of `KvsCacheModule.forRootAsync`: `imports`, then `useFactory` + `inject`, `useClass` or `useExisting`. */
export type KvsCacheModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  KvsCacheModuleOptions,
  'createKvsCacheOptions'
>;

/** A class that provides the options, for `forRootAsync({ useClass })` or `{ useExisting }`. */
export interface KvsCacheOptionsFactory {
  /** The cache's options. */
  createKvsCacheOptions(): Promise<KvsCacheModuleOptions> | KvsCacheModuleOptions;
}

/** The options with every default filled in. */
export type CacheSettings = Required<Omit<KvsCacheModuleOptions, 'store' | 'logger'>> &
  Pick<KvsCacheModuleOptions, 'store' | 'logger'>;

const WHERE = 'KvsCacheModule';

/** Checks the options and fills in the defaults. Throws `KvsInvalidArgumentError` naming the fix. */
export function resolveCacheSettings(options: unknown): CacheSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${WHERE} options: expected an object such as { ttl: 60_000 }, got ${describe(options)}.`,
    );
  }
  const o = options as KvsCacheModuleOptions;
  const codec = o.codec ?? taggedJsonCodec;
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${WHERE} option codec: expected { encode(value): Uint8Array, decode(bytes): value }, such as jsonCodec.`,
    );
  }
  if (o.logger !== undefined && typeof o.logger.warn !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${WHERE} option logger: expected an object with warn(message), such as new Logger('Cache').`,
    );
  }
  const lockTtl = checkMs(WHERE, 'lockTtl', o.lockTtl, 1) ?? 10_000;
  const settings: CacheSettings = {
    store: checkName(WHERE, 'store', o.store),
    namespace: checkName(WHERE, 'namespace', o.namespace) ?? 'cache',
    ttl: checkMs(WHERE, 'ttl', o.ttl) ?? 60_000,
    staleTtl: checkMs(WHERE, 'staleTtl', o.staleTtl) ?? 0,
    timeout: checkMs(WHERE, 'timeout', o.timeout, 1) ?? 150,
    cacheNull: checkFlag(WHERE, 'cacheNull', o.cacheNull) ?? true,
    codec,
    lock: checkFlag(WHERE, 'lock', o.lock) ?? false,
    lockTtl,
    lockWait: checkMs(WHERE, 'lockWait', o.lockWait) ?? lockTtl,
    logInterval: checkMs(WHERE, 'logInterval', o.logInterval) ?? 10_000,
    logger: o.logger,
    clock: checkFunction(WHERE, 'clock', o.clock) ?? Date.now,
  };
  assertStaleTtl(WHERE, settings.ttl, settings.staleTtl);
  return settings;
}

/** A stale period needs a fresh period before it: `staleTtl` without a `ttl` is a mistake. */
export function assertStaleTtl(where: string, ttl: number, staleTtl: number): void {
  if (staleTtl > 0 && ttl === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} options: staleTtl ${staleTtl} needs a ttl > 0 (an entry that never expires never goes stale).`,
    );
  }
}
