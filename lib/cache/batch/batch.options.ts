import { describeValue } from '../../shared/describe.js';
import type { Duration } from '../../shared/duration.js';
import type { OptionNames } from '../../shared/known-keys.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { checkFunction, reject } from '../cache.checks.js';
import { checkEntryOptions, checkKey } from '../cache.method-options.js';
import { KVS_CACHE_METHOD_KEYS } from '../cache.option-names.js';
import type { CheckedLoadOptions, KvsCacheEntryOptions } from '../cache.options.js';
import { LOAD_TIMEOUT_KEYS, type KvsLoadTimeoutOptions } from '../grace/grace.options.js';
import { checkTagOptions, type StoredTagOptions } from '../tags/tags.options.js';
import { batchMessages } from './batch.messages.js';

/**
 * Options of batch caching: `KvsCache.wrapMany` and `@CacheableMany` take an entry's options
 * (`ttl`, also as a function of each value, `staleTtl`, `namespace`, `store`, `timeout`,
 * `cacheNull`, `local`, `grace`), the loader timeouts (`graceBackoff`, `softTimeout`,
 * `hardTimeout`, per key), per-key `tags` and `resultTags`, and a per-key `unless`; no `lock`
 * (a batch computes its misses once per process).
 */

/** Options of {@link KvsCache.wrapMany}. */
export interface KvsCacheWrapManyOptions<T>
  extends Omit<KvsCacheEntryOptions, 'ttl'>, KvsLoadTimeoutOptions {
  /** How long each entry stays fresh, or a function choosing it from a loaded value and its key (ms or `'5m'`). */
  ttl?: Duration | ((value: T, key: string) => Duration);
  /** Checked per loaded key: when true, that value is returned but not stored. */
  unless?: (value: T, key: string) => boolean;
  /** The tags of each key's entry: an array (the same for all), or a function of the key. Their versions are read with the batch's MGET: no extra round trip. */
  tags?: readonly string[] | ((key: string) => readonly string[]);
  /** More tags, chosen from each loaded value (and its key); a hit then checks them in one more MGET for the whole batch. */
  resultTags?: (value: T, key: string) => readonly string[];
}

/**
 * Options of {@link CacheableMany}. Annotate the parameters of `key`, `unless`, `tags`... with
 * the method's types: `key: (id: string) => \`user:${id}\``.
 */
export interface CacheableManyOptions<I = never, A extends unknown[] = never[], R = unknown>
  extends Omit<KvsCacheEntryOptions, 'ttl'>, KvsLoadTimeoutOptions {
  /** The key of one id (within the namespace), from the id and the method's other arguments. Default `<Class>.<method>:<hash of the id and the other arguments>`. */
  key?: (id: I, ...rest: A) => string;
  /** Checked per loaded id: when true, that value is returned but not stored. */
  unless?: (value: R, id: I, ...rest: A) => boolean;
  /** What the method resolves: the values in the ids' order (`'array'`, the default), or a Map from id to value (`'map'`). */
  returns?: 'array' | 'map';
  /** How long each entry stays fresh, or a function of its value, its id and the other arguments. */
  ttl?: Duration | ((value: R, id: Later<I>, ...rest: Later<A>) => Duration);
  /** The tags of each id's entry: an array (the same for all), or a function of the id and the other arguments. Read with the batch's MGET. */
  tags?: readonly string[] | ((id: I, ...rest: A) => readonly string[]);
  /** More tags, chosen from each loaded value (and its id and the other arguments). */
  resultTags?: (value: R, id: Later<I>, ...rest: Later<A>) => readonly string[];
}

/** `A`, in a place TypeScript does not infer it from (the key and unless functions give it). */
type Later<A> = A extends infer X ? X : never;

/** `@CacheableMany` options as checked and stored, argument types erased. */
export interface StoredManyOptions extends CheckedLoadOptions, StoredTagOptions {
  key?: (...args: unknown[]) => string;
  unless?: (value: unknown, ...args: unknown[]) => boolean;
  returns: 'array' | 'map';
}

const ENTRY_KEYS = KVS_CACHE_METHOD_KEYS.set;

/** The options `KvsCache.wrapMany` takes. */
export const WRAP_MANY_KEYS: OptionNames<KvsCacheWrapManyOptions<unknown>> = {
  ...ENTRY_KEYS,
  ...LOAD_TIMEOUT_KEYS,
  unless: true,
  resultTags: true,
};

const CACHEABLE_MANY_KEYS: OptionNames<CacheableManyOptions> = {
  ...WRAP_MANY_KEYS,
  key: true,
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
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  const { returns } = options;
  if (returns !== undefined && returns !== 'array' && returns !== 'map') {
    reject(where, 'returns', "'array' or 'map'", returns);
  }
  return { ...(checked as StoredManyOptions), tags, returns: returns ?? 'array' };
}

/** Checks the keys of a batch: an array of non-empty strings. */
export function checkBatchKeys(where: string, keys: unknown): void {
  if (!Array.isArray(keys)) {
    throw new KvsInvalidArgumentError(batchMessages.keysNotAnArray(describeValue(keys)));
  }
  for (const key of keys) checkKey(where, key);
}
