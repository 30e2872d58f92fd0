import { assertStaleTtl } from './cache-module.options.js';
import { checkFlag, checkMs, checkName, reject } from './cache.validation.js';

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

/** Checks per-method/per-call overrides; throws `KvsInvalidArgumentError` naming the fix. */
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

/** Checks a relative key given at call time. */
export function checkKey(where: string, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  return reject(where, 'key', 'a non-empty string', key);
}
