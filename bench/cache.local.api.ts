/**
 * TEMPORARY, until the local tier of issue 12 is on main: the `local` options and counters this
 * section codes against (the API announced for the feature), with casts so that the bench
 * compiles before KvsCacheModule knows them. The options are passed through unchanged, so the
 * section only runs once the feature is there.
 * TODO(issue 12): delete this file once main has the local tier, and use the real types.
 */
import type { KvsCache, KvsCacheModuleOptions, KvsCacheStats } from '../lib/cache/index.js';

/** `local` on the module, a decorator or a `wrap` call. */
export type LocalSetting =
  | boolean
  | {
      maxEntries?: number;
      maxBytes?: number;
      ttl?: number | string;
      shared?: boolean;
      tracking?: boolean;
    };

/** The counters the local tier adds to `KvsCache.stats()`. */
export interface LocalStats extends KvsCacheStats {
  localHits: number;
  storeHits: number;
  invalidationsSent: number;
  invalidationsReceived: number;
}

/** Module options with `local`. */
export function withLocal(
  options: KvsCacheModuleOptions,
  local: LocalSetting,
): KvsCacheModuleOptions {
  return { ...options, local } as KvsCacheModuleOptions;
}

/** `KvsCache.wrap` with a per-call `local`. */
export function wrapLocal<T>(
  cache: KvsCache,
  key: string,
  fn: () => T | Promise<T>,
  local: LocalSetting,
): Promise<T> {
  return cache.wrap(key, fn, { local } as Parameters<KvsCache['wrap']>[2]);
}

/** `KvsCache.stats()` with the local tier's counters. */
export function localStats(cache: KvsCache): LocalStats {
  return cache.stats() as LocalStats;
}
