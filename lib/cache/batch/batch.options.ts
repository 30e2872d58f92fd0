import { describeValue } from '../../shared/describe.js';
import type { OptionNames } from '../../shared/known-keys.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { checkFunction, reject } from '../cache.checks.js';
import {
  checkEntryOptions,
  checkKey,
  KVS_CACHE_METHOD_KEYS,
  type CheckedLoadOptions,
  type KvsCacheEntryOptions,
} from '../cache.options.js';
import { batchMessages } from './batch.messages.js';

/**
 * Options of batch caching: `KvsCache.wrapMany` and `@CacheableMany` take an entry's options
 * (`ttl`, `staleTtl`, `namespace`, `store`, `timeout`, `cacheNull`, `local`) and a per-key
 * `unless`; no `lock` (a batch computes its misses once per process).
 */

/** Options of {@link KvsCache.wrapMany}. */
export interface KvsCacheWrapManyOptions<T> extends KvsCacheEntryOptions {
  /** Checked per loaded key: when true, that value is returned but not stored. */
  unless?: (value: T, key: string) => boolean;
}

/**
 * Options of {@link CacheableMany}. Annotate the parameters of `key` and `unless` with the
 * method's types: `key: (id: string) => \`user:${id}\``.
 */
export interface CacheableManyOptions<
  I = never,
  A extends unknown[] = never[],
  R = unknown,
> extends KvsCacheEntryOptions {
  /** The key of one id (within the namespace), from the id and the method's other arguments. Default `<Class>.<method>:<hash of the id and the other arguments>`. */
  key?: (id: I, ...rest: A) => string;
  /** Checked per loaded id: when true, that value is returned but not stored. */
  unless?: (value: R, id: I, ...rest: A) => boolean;
  /** What the method resolves: the values in the ids' order (`'array'`, the default), or a Map from id to value (`'map'`). */
  returns?: 'array' | 'map';
}

/** `@CacheableMany` options as checked and stored, argument types erased. */
export interface StoredManyOptions extends CheckedLoadOptions {
  key?: (...args: unknown[]) => string;
  unless?: (value: unknown, ...args: unknown[]) => boolean;
  returns: 'array' | 'map';
}

const ENTRY_KEYS = KVS_CACHE_METHOD_KEYS.set;

/** The options `KvsCache.wrapMany` takes. */
export const WRAP_MANY_KEYS: OptionNames<KvsCacheWrapManyOptions<unknown>> = {
  ...ENTRY_KEYS,
  unless: true,
};

const CACHEABLE_MANY_KEYS: OptionNames<CacheableManyOptions> = {
  ...ENTRY_KEYS,
  key: true,
  unless: true,
  returns: true,
};

/** Checks the options of `@CacheableMany()`; durations become milliseconds. */
export function checkCacheableManyOptions<I, A extends unknown[], R>(
  options: CacheableManyOptions<I, A, R>,
): StoredManyOptions {
  const where = '@CacheableMany()';
  const checked = checkEntryOptions(where, options, CACHEABLE_MANY_KEYS);
  if (typeof options.key === 'string') throw new KvsInvalidArgumentError(batchMessages.stringKey());
  checkFunction(where, 'key', options.key);
  checkFunction(where, 'unless', options.unless);
  const { returns } = options;
  if (returns !== undefined && returns !== 'array' && returns !== 'map') {
    reject(where, 'returns', "'array' or 'map'", returns);
  }
  return { ...(checked as StoredManyOptions), returns: returns ?? 'array' };
}

/** Checks the keys of a batch: an array of non-empty strings. */
export function checkBatchKeys(where: string, keys: unknown): void {
  if (!Array.isArray(keys)) {
    throw new KvsInvalidArgumentError(batchMessages.keysNotAnArray(describeValue(keys)));
  }
  for (const key of keys) checkKey(where, key);
}
