import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { Duration } from '../shared/duration.js';
import type { LogSink } from '../shared/throttled-log.js';
import type { KvsCodec } from '../store/index.js';
import type {
  CacheableTagOptions,
  EvictTagOptions,
  SetTagOptions,
  StoredTagOptions,
  WrapTagOptions,
} from './tags/tags.options.js';
import type {
  CheckedLocal,
  KvsLocalOptions,
  KvsLocalTierOptions,
  LocalSettings,
} from './local/local.options.js';
import type {
  CheckedGrace,
  GracePlan,
  KvsGraceOptions,
  KvsLoadTimeoutOptions,
} from './grace/grace.options.js';
import type { TtlFunction } from './grace/grace.ttl.js';
import type { KeyOption } from './entry/cache.keys.js';

/**
 * Every option of the cache, as types (their checks: cache.settings.ts for the module's,
 * cache.method-options.ts for the decorators' and KvsCache's, cache.option-names.ts for the names
 * each takes): the module's (`forRoot`), the per-method
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
