import { MEMORY_STORE_OPTIONS } from '../store/memory/memory.store.js';
import { REDIS_STORE_OPTIONS } from '../store/redis/redis.options.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { GRACE_KEYS, LOAD_TIMEOUT_KEYS } from './grace/grace.options.js';
import type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
  KvsCacheEntryOptions,
  KvsCacheLoadOptions,
  KvsCacheModuleOptions,
  KvsCacheReadOptions,
  KvsCacheSetOptions,
  KvsCacheTarget,
  KvsCacheWrapOptions,
} from './cache.options.js';

/**
 * The option names each options object of the cache takes, and the check that an object has no
 * other: an unknown key is a KvsInvalidArgumentError with a "did you mean", or naming the
 * options object the key belongs to.
 */

const MODULE = 'KvsCacheModule';

export const MODULE_KEYS: OptionNames<KvsCacheModuleOptions> = {
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
export const WRAP_KEYS: OptionNames<KvsCacheWrapOptions<unknown>> = {
  ...LOAD_KEYS,
  unless: true,
  tags: true,
  resultTags: true,
};
const SET_KEYS: OptionNames<KvsCacheSetOptions> = { ...ENTRY_KEYS, tags: true };
export const PUT_KEYS: OptionNames<CachePutOptions> = {
  ...ENTRY_KEYS,
  key: true,
  condition: true,
  unless: true,
  tags: true,
  resultTags: true,
};
export const CACHEABLE_KEYS: OptionNames<CacheableOptions> = {
  ...PUT_KEYS,
  lock: true,
  tags: true,
  resultTags: true,
  ...LOAD_TIMEOUT_KEYS,
};
export const EVICT_KEYS: OptionNames<CacheEvictOptions> = {
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
export function assertKeys(
  where: string,
  options: object,
  known: Readonly<Record<string, true>>,
): void {
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

/** The options each `KvsCache` method takes, for {@link checkEntryOptions}. */
export const KVS_CACHE_METHOD_KEYS = {
  wrap: WRAP_KEYS,
  set: SET_KEYS,
  read: READ_KEYS,
  target: TARGET_KEYS,
} as const;
