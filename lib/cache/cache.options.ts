import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import { warnShortDuration, type Duration } from '../shared/duration.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import type { LogSink } from '../shared/throttled-log.js';
import { KvsInvalidArgumentError, MAX_TTL_MS, type KvsCodec } from '../store/index.js';
import { MEMORY_STORE_OPTIONS } from '../store/memory/memory.store.js';
import { REDIS_STORE_OPTIONS } from '../store/redis/redis.options.js';
import { taggedJsonCodec } from './entry/cache.codec.js';
import {
  checkFlag,
  checkFunction,
  checkKeyOption,
  checkMs,
  checkName,
  checkTimeout,
  checkTtl,
  reject,
} from './cache.checks.js';

import {
  checkTagOptions,
  type CacheableTagOptions,
  type EvictTagOptions,
  type SetTagOptions,
  type StoredTagOptions,
  type WrapTagOptions,
} from './tags/tags.options.js';
import {
  checkLocalOption,
  resolveLocalSettings,
  type CheckedLocal,
  type KvsLocalOptions,
  type KvsLocalTierOptions,
  type LocalSettings,
} from './local/local.options.js';
import {
  checkGraceOptions,
  DEFAULT_GRACE,
  GRACE_KEYS,
  LOAD_TIMEOUT_KEYS,
  planGrace,
  resolveGraceSettings,
  type CheckedGrace,
  type GracePlan,
  type KvsGraceOptions,
  type KvsLoadTimeoutOptions,
} from './grace/grace.options.js';
import type { TtlFunction } from './grace/grace.ttl.js';

export { checkFunction } from './cache.checks.js';

/**
 * Every option of the cache, and every check of them: the module's (`forRoot`), the per-method
 * and per-call overrides (decorators, `KvsCache`), and what each must be. A check throws
 * `KvsInvalidArgumentError` naming the option and the fix; an unknown key is one too, with a
 * "did you mean". Every duration is a number of milliseconds or a string such as `'30s'`, `'5m'`,
 * `'1h'`, `'1d'`, resolved to milliseconds once, when the options are checked.
 */

/** Options of `KvsCacheModule.forRoot()`. Every duration: milliseconds, or `'30s'`, `'5m'`, `'1h'`... */
export interface KvsCacheModuleOptions extends KvsGraceOptions, KvsLoadTimeoutOptions {
  /** The KvsModule store to cache in (its `name`); the default store when omitted. */
  store?: string;
  /** Prefix of every cache key (`<namespace>:<key>`), so evictions never touch other data. Default `'cache'`. */
  namespace?: string;
  /** How long an entry stays fresh: ms or `'1m'`. Default 60_000; 0 = until evicted. A number under 1000 warns once (write `'500ms'` when you mean it). */
  ttl?: Duration;
  /** Stale-while-revalidate: for this long after `ttl`, a stale entry is served while one background call refreshes it. Default 0 (off). */
  staleTtl?: Duration;
  /** The most any single store step may take before the call goes on without the cache. Default 150. */
  timeout?: Duration;
  /** Cache `null` and `undefined` results (a hit, distinct from a miss). Default true. */
  cacheNull?: boolean;
  /** Turns values into bytes and back. Default {@link taggedJsonCodec}. */
  codec?: KvsCodec<unknown>;
  /** Default of `lock` on `@Cacheable` and `wrap`: compute a miss once across app instances. Default false. */
  lock?: boolean;
  /** How long a lock holds before it expires by itself (a crashed holder). Default 10_000. */
  lockTtl?: Duration;
  /** How long callers wait for a lock holder's value before computing it themselves. Default `lockTtl`. */
  lockWait?: Duration;
  /** Minimum time between two log lines of the same cause (e.g. "Redis unreachable"). Default 10_000. */
  logInterval?: Duration;
  /** Where warnings go. Default: Nest's `Logger` with the context `KvsCache`. */
  logger?: LogSink;
  /** Wall clock in epoch ms, for stale-while-revalidate. Default `Date.now`; inject one in tests. */
  clock?: () => number;
  /**
   * A local tier in process memory in front of a Redis store, kept coherent across instances over
   * the store's pub/sub channel: `true` for the defaults, or its options. Off by default; off on a
   * memory store (its hits already come from process memory).
   */
  local?: boolean | KvsLocalTierOptions;
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

/** The options with every default filled in, every duration in milliseconds. */
export interface CacheSettings {
  store: string | undefined;
  namespace: string;
  ttl: number;
  staleTtl: number;
  timeout: number;
  cacheNull: boolean;
  codec: KvsCodec<unknown>;
  lock: boolean;
  lockTtl: number;
  lockWait: number;
  logInterval: number;
  logger: LogSink | undefined;
  clock: () => number;
  /** The local tier, or undefined when the module does not turn it on. */
  local: LocalSettings | undefined;
  /** Grace period and loader timeouts. */
  grace: GracePlan;
}

/**
 * Per-method (and per-call) overrides of the module's options. Every duration: milliseconds, or a
 * string such as `'30s'`; what is omitted comes from `KvsCacheModule.forRoot()`.
 */
export interface KvsCacheEntryOptions extends KvsGraceOptions {
  /** How long an entry stays fresh: ms or `'5m'`; 0 = until evicted. A number under 1000 warns once. */
  ttl?: Duration;
  /** Serve a stale entry for this long after `ttl` while one background call refreshes it. */
  staleTtl?: Duration;
  /** The namespace (key prefix) of the entry, instead of the module's. */
  namespace?: string;
  /** The KvsModule store (its `name`), instead of the module's. */
  store?: string;
  /** The most any single store step may take before the call goes on without the cache. */
  timeout?: Duration;
  /** Cache `null` and `undefined` results (a hit, distinct from a miss). */
  cacheNull?: boolean;
  /** Whether the entry goes through the local tier: `false` bypasses it; `true` or `{ ttl, shared }` uses it (also when the module has none). */
  local?: boolean | KvsLocalOptions;
}

/** Options of a read-through load: `@Cacheable` and `KvsCache.wrap`. */
export interface KvsCacheLoadOptions extends KvsCacheEntryOptions, KvsLoadTimeoutOptions {
  /** Compute a miss once across app instances sharing the store (a lock in the store). */
  lock?: boolean;
}

/** Options of {@link KvsCache.wrap}. */
export interface KvsCacheWrapOptions<T>
  extends Omit<KvsCacheLoadOptions, 'ttl'>, WrapTagOptions<T> {
  /** How long the entry stays fresh, or a function choosing it from the result (ms or `'5m'`). */
  ttl?: Duration | ((result: T) => Duration);
  /** Checked after the call: when true, the result is returned but not stored. */
  unless?: (result: T) => boolean;
}

/** Options of {@link KvsCache.set}: those of an entry, with a ttl that may depend on the value. */
export interface KvsCacheSetOptions<T = unknown>
  extends Omit<KvsCacheEntryOptions, 'ttl'>, SetTagOptions {
  /** How long the entry stays fresh, or a function choosing it from the value (ms or `'5m'`). */
  ttl?: Duration | ((value: T) => Duration);
}

/** Selects where an entry lives: a namespace and a store other than the module's. */
export type KvsCacheTarget = Pick<KvsCacheEntryOptions, 'namespace' | 'store' | 'timeout'>;

/** Options of `KvsCache.get()` and `lookup()`: where the entry lives, and whether to read the local tier. */
export type KvsCacheReadOptions = KvsCacheTarget & Pick<KvsCacheEntryOptions, 'local'>;

/**
 * `A`, in a place TypeScript does not infer it from: a `ttl` function taking only the result
 * leaves the arguments' types to `key` and `condition` (`NoInfer` trips on rest parameters).
 */
type Later<A> = A extends infer X ? X : never;

/**
 * Options of {@link Cacheable}. Annotate the parameters of `key`, `condition` and `unless` with
 * the method's parameter types: `key: (id: string) => \`user:${id}\``.
 */
export interface CacheableOptions<A extends unknown[] = never[], R = unknown>
  extends Omit<KvsCacheLoadOptions, 'ttl'>, CacheableTagOptions<A, R> {
  /** How long an entry stays fresh, or a function of the result (and the arguments) choosing it. */
  ttl?: Duration | ((result: R, ...args: Later<A>) => Duration);
  /** The key (within the namespace): a string, or a function of the arguments. Default `<Class>.<method>:<hash of the arguments>`. */
  key?: string | ((...args: A) => string);
  /** Checked before the call: when false, the method runs without the cache (no read, no write). */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is returned but not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

/** Options of {@link CachePut}; `tags` and `resultTags` record the current versions of the entry's tags. */
export interface CachePutOptions<A extends unknown[] = never[], R = unknown>
  extends Omit<KvsCacheEntryOptions, 'ttl'>, CacheableTagOptions<A, R> {
  /** How long the entry stays fresh, or a function of the result (and the arguments) choosing it. */
  ttl?: Duration | ((result: R, ...args: Later<A>) => Duration);
  /** The key (within the namespace) to store the result under: a string or a function of the arguments. */
  key: string | ((...args: A) => string);
  /** Checked before the call: when false, the result is not stored. */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

/** Options of {@link CacheEvict}: exactly one of `key`, `prefix` and `allEntries`. */
export interface CacheEvictOptions<A extends unknown[] = never[]> extends EvictTagOptions<A> {
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
  /** The most a single store step may take: ms or `'1s'`. */
  timeout?: Duration;
}

/** A key option as the runtime sees it, with the method's argument types erased. */
export type KeyOption<K> = K | ((...args: unknown[]) => K);
type Predicate = (...args: unknown[]) => boolean;

/** Per-method or per-call overrides as checked: every duration in milliseconds. */
export interface CheckedLoadOptions extends Omit<
  KvsCacheLoadOptions,
  'ttl' | 'staleTtl' | 'timeout' | 'local' | keyof KvsGraceOptions | keyof KvsLoadTimeoutOptions
> {
  ttl?: number;
  /** A ttl chosen from the result (the `ttl` option when it is a function). */
  ttlOf?: TtlFunction;
  /** The grace options it sets, in ms. */
  graced?: CheckedGrace;
  staleTtl?: number;
  timeout?: number;
  local?: CheckedLocal;
}

/** `@Cacheable` and `@CachePut` options as checked and stored, argument types erased. */
export interface StoredMethodOptions extends CheckedLoadOptions, StoredTagOptions {
  key?: KeyOption<string>;
  condition?: Predicate;
  unless?: (result: unknown, ...args: unknown[]) => boolean;
}

/** `@CacheEvict` options as checked and stored, argument types erased. */
export interface EvictMethodOptions extends CheckedLoadOptions, StoredTagOptions {
  key?: KeyOption<string | readonly string[]>;
  prefix?: KeyOption<string>;
  allEntries?: boolean;
  beforeInvocation?: boolean;
  condition?: Predicate;
}

const MODULE = 'KvsCacheModule';
const logger = new Logger('KvsCache');

const MODULE_KEYS: OptionNames<KvsCacheModuleOptions> = {
  store: true,
  namespace: true,
  ttl: true,
  staleTtl: true,
  timeout: true,
  cacheNull: true,
  codec: true,
  lock: true,
  lockTtl: true,
  lockWait: true,
  logInterval: true,
  logger: true,
  clock: true,
  local: true,
  ...GRACE_KEYS,
  ...LOAD_TIMEOUT_KEYS,
};
const TARGET_KEYS: OptionNames<KvsCacheTarget> = { namespace: true, store: true, timeout: true };
const READ_KEYS: OptionNames<KvsCacheReadOptions> = { ...TARGET_KEYS, local: true };
const ENTRY_KEYS: OptionNames<KvsCacheEntryOptions> = {
  ...READ_KEYS,
  ttl: true,
  staleTtl: true,
  cacheNull: true,
  ...GRACE_KEYS,
};
const LOAD_KEYS: OptionNames<KvsCacheLoadOptions> = {
  ...ENTRY_KEYS,
  lock: true,
  ...LOAD_TIMEOUT_KEYS,
};
const WRAP_KEYS: OptionNames<KvsCacheWrapOptions<unknown>> = {
  ...LOAD_KEYS,
  unless: true,
  tags: true,
  resultTags: true,
};
const SET_KEYS: OptionNames<KvsCacheSetOptions> = { ...ENTRY_KEYS, tags: true };
const PUT_KEYS: OptionNames<CachePutOptions> = {
  ...ENTRY_KEYS,
  key: true,
  condition: true,
  unless: true,
  tags: true,
  resultTags: true,
};
const CACHEABLE_KEYS: OptionNames<CacheableOptions> = {
  ...PUT_KEYS,
  lock: true,
  tags: true,
  resultTags: true,
  ...LOAD_TIMEOUT_KEYS,
};
const EVICT_KEYS: OptionNames<CacheEvictOptions> = {
  ...TARGET_KEYS,
  key: true,
  prefix: true,
  allEntries: true,
  beforeInvocation: true,
  condition: true,
  tags: true,
};

/** Which options object each option name belongs to, for the hint of a misplaced option. */
const OWNERS: readonly (readonly [string, Readonly<Record<string, true>>])[] = [
  [`the ${MODULE} options`, MODULE_KEYS],
  ['@Cacheable()', CACHEABLE_KEYS],
  ['@CachePut()', PUT_KEYS],
  ['@CacheEvict()', EVICT_KEYS],
  ['KvsCache.wrap()', WRAP_KEYS],
  [
    'KvsModule.forRoot() (the store)',
    { ...MEMORY_STORE_OPTIONS, ...REDIS_STORE_OPTIONS, type: true },
  ],
];

/**
 * Checks that `options` has only the keys of `known`; an unknown key is an error naming the
 * closest known one, or the options object it belongs to (`lockTtl` on `@Cacheable()`).
 */
function assertKeys(where: string, options: object, known: Readonly<Record<string, true>>): void {
  const label = where.startsWith('the ') ? where : `the ${where} options`;
  assertKnownKeys(
    label,
    options,
    known,
    (m) => new KvsInvalidArgumentError(m),
    (key) => {
      const owners = OWNERS.filter(([, keys]) => Object.hasOwn(keys, key)).map(([name]) => name);
      if (owners.length === 0) return undefined;
      return `'${key}' is an option of ${owners.join(', ')}, not of ${label}.`;
    },
  );
}

/** Checks the module's options and fills in the defaults; durations become milliseconds. */
export function resolveCacheSettings(options: unknown): CacheSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} options: expected an object such as { ttl: '1m' }, got ${describeValue(options)}.`,
    );
  }
  assertKeys(`the ${MODULE} options`, options, MODULE_KEYS);
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
  const lockTtl = checkTtl(MODULE, 'lockTtl', o.lockTtl, 1) ?? 10_000;
  const settings: CacheSettings = {
    store: checkName(MODULE, 'store', o.store),
    namespace: checkName(MODULE, 'namespace', o.namespace) ?? 'cache',
    ttl: checkTtl(MODULE, 'ttl', o.ttl) ?? 60_000,
    staleTtl: checkTtl(MODULE, 'staleTtl', o.staleTtl) ?? 0,
    timeout: checkTimeout(MODULE, o.timeout) ?? 150,
    cacheNull: checkFlag(MODULE, 'cacheNull', o.cacheNull) ?? true,
    codec,
    lock: checkFlag(MODULE, 'lock', o.lock) ?? false,
    lockTtl,
    lockWait: checkMs(MODULE, 'lockWait', o.lockWait) ?? lockTtl,
    logInterval: checkMs(MODULE, 'logInterval', o.logInterval) ?? 10_000,
    logger: o.logger,
    clock: checkFunction(MODULE, 'clock', o.clock) ?? Date.now,
    local: resolveLocalSettings(MODULE, o.local),
    grace: resolveGraceSettings(MODULE, o),
  };
  assertStaleTtl(MODULE, settings.ttl, settings.staleTtl);
  planGrace(MODULE, settings.grace, undefined, settings.ttl, settings.staleTtl);
  if (settings.lock && settings.lockWait === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${MODULE} options: lock: true with lockWait 0 makes every caller compute a miss itself, as without a lock. Give lockWait a duration (default: lockTtl), or drop lock.`,
    );
  }
  warnShortDuration(`A ${MODULE} ttl`, o.ttl, o.logger ?? logger);
  return settings;
}

/**
 * A stale period needs a fresh period before it: `staleTtl` without a `ttl` is a mistake. The
 * store keeps an entry for `ttl + staleTtl`, which must fit the store's limit.
 */
export function assertStaleTtl(where: string, ttl: number, staleTtl: number): void {
  if (staleTtl > 0 && ttl === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} options: staleTtl ${staleTtl} needs a ttl > 0 (an entry that never expires never goes stale).`,
    );
  }
  if (ttl + staleTtl > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} options: ttl + staleTtl (${ttl} + ${staleTtl} ms) is longer than the store's limit of ${MAX_TTL_MS} ms (100 years). Shorten them, or use ttl 0 for an entry that stays until evicted.`,
    );
  }
}

/**
 * Checks per-method/per-call overrides against the options `known` in `where` (default: those of
 * `KvsCache.wrap`); returns them with every duration in milliseconds (the same object when no
 * duration was a string).
 */
export function checkEntryOptions(
  where: string,
  options: unknown,
  known: Readonly<Record<string, true>> = WRAP_KEYS,
): CheckedLoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return reject(where, 'argument', "an options object such as { ttl: '1m' }", options);
  }
  assertKeys(where, options, known);
  const o = options as KvsCacheLoadOptions;
  const ttlOf = typeof o.ttl === 'function' ? (o.ttl as TtlFunction) : undefined;
  const ttl = ttlOf === undefined ? checkTtl(where, 'ttl', o.ttl) : undefined;
  const graced = checkGraceOptions(where, o);
  const staleTtl = checkTtl(where, 'staleTtl', o.staleTtl);
  const timeout = checkTimeout(where, o.timeout);
  checkName(where, 'namespace', o.namespace);
  checkName(where, 'store', o.store);
  checkFlag(where, 'cacheNull', o.cacheNull);
  checkFlag(where, 'lock', o.lock);
  if (ttl !== undefined && staleTtl !== undefined) assertStaleTtl(where, ttl, staleTtl);
  if (ttl !== undefined && graced?.grace !== undefined) {
    planGrace(where, DEFAULT_GRACE, graced, ttl, staleTtl ?? 0);
  }
  warnShortDuration(`A ${where} ttl`, o.ttl, logger);
  const local = checkLocalOption(where, o.local);
  const same = ttl === o.ttl && staleTtl === o.staleTtl && timeout === o.timeout;
  if (same && o.local === undefined && graced === undefined) return o as CheckedLoadOptions;
  return { ...o, ttl, ttlOf, staleTtl, timeout, local, graced };
}

/** Checks the options of `@Cacheable()`; durations become milliseconds. */
export function checkCacheableOptions<A extends unknown[], R>(
  options: CacheableOptions<A, R>,
): StoredMethodOptions {
  const where = '@Cacheable()';
  const checked = checkEntryOptions(where, options, CACHEABLE_KEYS);
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...checked, tags };
}

/** Checks the options of `@CachePut()`: like `@Cacheable()`'s, with `key` required. */
export function checkCachePutOptions<A extends unknown[], R>(
  options: CachePutOptions<A, R>,
): StoredMethodOptions {
  const where = '@CachePut()';
  const checked = checkEntryOptions(where, options, PUT_KEYS);
  if (options.key === undefined) {
    reject(where, 'key', 'a key or a function of the arguments (the entry to store)', options.key);
  }
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...checked, tags };
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
  assertKeys(where, options, EVICT_KEYS);
  const targets = (['key', 'prefix', 'allEntries'] as const).filter(
    (k) => options[k] !== undefined && options[k] !== false,
  );
  if (targets.length > 1 || (targets.length === 0 && options.tags === undefined)) {
    throw new KvsInvalidArgumentError(
      `${where} needs exactly one of key, prefix or allEntries: true (or tags, alone or with one of them), got ${targets.length === 0 ? 'none' : targets.join(' and ')}.`,
    );
  }
  checkKeyOption(where, 'key', options.key);
  checkKeyOption(where, 'prefix', options.prefix);
  checkFlag(where, 'allEntries', options.allEntries);
  checkFlag(where, 'beforeInvocation', options.beforeInvocation);
  checkFunction(where, 'condition', options.condition);
  checkName(where, 'namespace', options.namespace);
  checkName(where, 'store', options.store);
  const timeout = checkTimeout(where, options.timeout);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...options, timeout, tags } as EvictMethodOptions;
}

/** The options each `KvsCache` method takes, for {@link checkEntryOptions}. */
export const KVS_CACHE_METHOD_KEYS = {
  wrap: WRAP_KEYS,
  set: SET_KEYS,
  read: READ_KEYS,
  target: TARGET_KEYS,
} as const;

/** Checks a relative key given at call time. */
export function checkKey(where: string, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  return reject(where, 'key', 'a non-empty string', key);
}
