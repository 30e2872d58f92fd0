import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import type { LogSink } from '../shared/throttled-log.js';
import { KvsInvalidArgumentError, type KvsCodec } from '../store/index.js';
import { taggedJsonCodec } from './entry/cache.codec.js';

/**
 * Every option of the cache, and every check of them: the module's (`forRoot`), the per-method
 * and per-call overrides (decorators, `KvsCache`), and what each must be. A check throws
 * `KvsInvalidArgumentError` naming the option and the fix. Every duration is in milliseconds.
 */

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

/**
 * Per-method (and per-call) overrides of the module's options. Every duration is in
 * milliseconds; what is omitted comes from `KvsCacheModule.forRoot()`.
 */
export interface KvsCacheEntryOptions {
  /** How long an entry stays fresh; 0 = until evicted. */
  ttl?: number;
  /** Serve a stale entry for this long after `ttl` while one background call refreshes it. */
  staleTtl?: number;
  /** The namespace (key prefix) of the entry, instead of the module's. */
  namespace?: string;
  /** The KvsModule store (its `name`), instead of the module's. */
  store?: string;
  /** The most any single store step may take before the call goes on without the cache. */
  timeout?: number;
  /** Cache `null` and `undefined` results (a hit, distinct from a miss). */
  cacheNull?: boolean;
}

/** Options of a read-through load: `@Cacheable` and `KvsCache.wrap`. */
export interface KvsCacheLoadOptions extends KvsCacheEntryOptions {
  /** Compute a miss once across app instances sharing the store (a lock in the store). */
  lock?: boolean;
}

/** Options of {@link KvsCache.wrap}. */
export interface KvsCacheWrapOptions<T> extends KvsCacheLoadOptions {
  /** Checked after the call: when true, the result is returned but not stored. */
  unless?: (result: T) => boolean;
}

/** Selects where an entry lives: a namespace and a store other than the module's. */
export type KvsCacheTarget = Pick<KvsCacheEntryOptions, 'namespace' | 'store' | 'timeout'>;

/**
 * Options of {@link Cacheable}. Annotate the parameters of `key`, `condition` and `unless` with
 * the method's parameter types: `key: (id: string) => \`user:${id}\``.
 */
export interface CacheableOptions<
  A extends unknown[] = never[],
  R = unknown,
> extends KvsCacheLoadOptions {
  /** The key (within the namespace): a string, or a function of the arguments. Default `<Class>.<method>:<hash of the arguments>`. */
  key?: string | ((...args: A) => string);
  /** Checked before the call: when false, the method runs without the cache (no read, no write). */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is returned but not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

/** Options of {@link CachePut}. */
export interface CachePutOptions<
  A extends unknown[] = never[],
  R = unknown,
> extends KvsCacheEntryOptions {
  /** The key (within the namespace) to store the result under: a string or a function of the arguments. */
  key: string | ((...args: A) => string);
  /** Checked before the call: when false, the result is not stored. */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

/** Options of {@link CacheEvict}: exactly one of `key`, `prefix` and `allEntries`. */
export interface CacheEvictOptions<A extends unknown[] = never[]> {
  /** The key(s) to remove (within the namespace): a string, or a function of the arguments returning one or several. */
  key?: string | ((...args: A) => string | readonly string[]);
  /** Removes every key of the namespace that starts with this prefix. */
  prefix?: string | ((...args: A) => string);
  /** Removes every entry of the namespace, and nothing outside it. */
  allEntries?: boolean;
  /** Evict before the method runs (even if it then throws). Default false: after it succeeds. */
  beforeInvocation?: boolean;
  /** Checked before the call: when false, nothing is evicted. */
  condition?: (...args: A) => boolean;
  /** The namespace to evict from, instead of the module's. */
  namespace?: string;
  /** The KvsModule store (its `name`), instead of the module's. */
  store?: string;
  /** The most a single store step may take. */
  timeout?: number;
}

/** A key option as the runtime sees it, with the method's argument types erased. */
export type KeyOption<K> = K | ((...args: unknown[]) => K);
type Predicate = (...args: unknown[]) => boolean;

/** `@Cacheable` and `@CachePut` options as checked and stored, argument types erased. */
export interface StoredMethodOptions extends KvsCacheLoadOptions {
  key?: KeyOption<string>;
  condition?: Predicate;
  unless?: (result: unknown, ...args: unknown[]) => boolean;
}

/** `@CacheEvict` options as checked and stored, argument types erased. */
export interface EvictMethodOptions extends KvsCacheLoadOptions {
  key?: KeyOption<string | readonly string[]>;
  prefix?: KeyOption<string>;
  allEntries?: boolean;
  beforeInvocation?: boolean;
  condition?: Predicate;
}

const MODULE = 'KvsCacheModule';

/** Checks the module's options and fills in the defaults. */
export function resolveCacheSettings(options: unknown): CacheSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} options: expected an object such as { ttl: 60_000 }, got ${describeValue(options)}.`,
    );
  }
  const o = options as KvsCacheModuleOptions;
  const codec = o.codec ?? taggedJsonCodec;
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} option codec: expected { encode(value): Uint8Array, decode(bytes): value }, such as jsonCodec.`,
    );
  }
  if (o.logger !== undefined && typeof o.logger.warn !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} option logger: expected an object with warn(message), such as new Logger('Cache').`,
    );
  }
  const lockTtl = checkMs(MODULE, 'lockTtl', o.lockTtl, 1) ?? 10_000;
  const settings: CacheSettings = {
    store: checkName(MODULE, 'store', o.store),
    namespace: checkName(MODULE, 'namespace', o.namespace) ?? 'cache',
    ttl: checkMs(MODULE, 'ttl', o.ttl) ?? 60_000,
    staleTtl: checkMs(MODULE, 'staleTtl', o.staleTtl) ?? 0,
    timeout: checkMs(MODULE, 'timeout', o.timeout, 1) ?? 150,
    cacheNull: checkFlag(MODULE, 'cacheNull', o.cacheNull) ?? true,
    codec,
    lock: checkFlag(MODULE, 'lock', o.lock) ?? false,
    lockTtl,
    lockWait: checkMs(MODULE, 'lockWait', o.lockWait) ?? lockTtl,
    logInterval: checkMs(MODULE, 'logInterval', o.logInterval) ?? 10_000,
    logger: o.logger,
    clock: checkFunction(MODULE, 'clock', o.clock) ?? Date.now,
  };
  assertStaleTtl(MODULE, settings.ttl, settings.staleTtl);
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

/** Checks per-method/per-call overrides. */
export function checkEntryOptions(where: string, options: unknown): KvsCacheLoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return reject(where, 'argument', 'an options object such as { ttl: 60_000 }', options);
  }
  const o = options as KvsCacheLoadOptions;
  checkMs(where, 'ttl', o.ttl);
  checkMs(where, 'staleTtl', o.staleTtl);
  checkMs(where, 'timeout', o.timeout, 1);
  checkName(where, 'namespace', o.namespace);
  checkName(where, 'store', o.store);
  checkFlag(where, 'cacheNull', o.cacheNull);
  checkFlag(where, 'lock', o.lock);
  if (o.ttl !== undefined && o.staleTtl !== undefined) assertStaleTtl(where, o.ttl, o.staleTtl);
  return o;
}

/** Checks the options of `@Cacheable()`. */
export function checkCacheableOptions<A extends unknown[], R>(
  options: CacheableOptions<A, R>,
): StoredMethodOptions {
  const where = '@Cacheable()';
  checkEntryOptions(where, options);
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  return { ...options } as StoredMethodOptions;
}

/** Checks the options of `@CachePut()`: like `@Cacheable()`'s, with `key` required. */
export function checkCachePutOptions<A extends unknown[], R>(
  options: CachePutOptions<A, R>,
): StoredMethodOptions {
  const where = '@CachePut()';
  checkEntryOptions(where, options);
  if (options.key === undefined) {
    reject(where, 'key', 'a key or a function of the arguments (the entry to store)', options.key);
  }
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  return { ...options } as StoredMethodOptions;
}

/** Checks the options of `@CacheEvict()`: exactly one target, then each option. */
export function checkCacheEvictOptions<A extends unknown[]>(
  options: CacheEvictOptions<A>,
): EvictMethodOptions {
  const where = '@CacheEvict()';
  if (typeof options !== 'object' || options === null) {
    throw new KvsInvalidArgumentError(
      `${where} needs options: { key }, { prefix } or { allEntries: true }.`,
    );
  }
  const targets = (['key', 'prefix', 'allEntries'] as const).filter(
    (k) => options[k] !== undefined && options[k] !== false,
  );
  if (targets.length !== 1) {
    throw new KvsInvalidArgumentError(
      `${where} needs exactly one of key, prefix or allEntries: true, got ${targets.length === 0 ? 'none' : targets.join(' and ')}.`,
    );
  }
  checkKeyOption(where, 'key', options.key);
  checkKeyOption(where, 'prefix', options.prefix);
  checkFlag(where, 'allEntries', options.allEntries);
  checkFlag(where, 'beforeInvocation', options.beforeInvocation);
  checkFunction(where, 'condition', options.condition);
  checkName(where, 'namespace', options.namespace);
  checkName(where, 'store', options.store);
  checkMs(where, 'timeout', options.timeout, 1);
  return { ...options } as EvictMethodOptions;
}

/** Checks a relative key given at call time. */
export function checkKey(where: string, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  return reject(where, 'key', 'a non-empty string', key);
}

/** A function (undefined passes through). */
export function checkFunction<F>(
  where: string,
  option: string,
  value: F | undefined,
): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  return reject(where, option, 'a function', value);
}

/** Throws saying which option of `where` is wrong and what it needs. */
function reject(where: string, option: string, expected: string, got: unknown): never {
  throw new KvsInvalidArgumentError(
    `Invalid ${where} option ${option}: expected ${expected}, got ${describeValue(got)}.`,
  );
}

/** A duration in ms: a finite number >= `min` (undefined passes through). */
function checkMs(where: string, option: string, value: unknown, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    const floor = min === 0 ? '>= 0' : `>= ${min}`;
    return reject(where, option, `a finite number of milliseconds ${floor}`, value);
  }
  return value;
}

/** A non-empty string (undefined passes through). */
function checkName(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    return reject(where, option, 'a non-empty string', value);
  }
  return value;
}

/** A boolean (undefined passes through). */
function checkFlag(where: string, option: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return reject(where, option, 'true or false', value);
}

/** A key: a non-empty string, or a function returning one (undefined passes through). */
function checkKeyOption<F>(
  where: string,
  option: string,
  value: string | F | undefined,
): string | F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  if (typeof value === 'string' && value.length > 0) return value;
  return reject(where, option, 'a non-empty string or a function of the arguments', value);
}
