import { describeValue } from '../shared/describe.js';
import { KvsInvalidArgumentError } from '../store/index.js';

/** The on/off switch of `KvsCacheModule.forRoot()`, next to the other cache options. */
export interface KvsCacheSwitch {
  /**
   * `false` turns caching off for the whole application: decorated methods run as they are,
   * `KvsCache.wrap()` calls its function, reads miss and writes store nothing; no store is
   * needed. Default true.
   */
  enabled?: boolean;
}

/** Splits the switch off the cache options (checked by `resolveCacheSettings`). */
export function splitCacheSwitch<T extends object>(
  options: T & KvsCacheSwitch,
): { enabled: boolean; rest: Omit<T, 'enabled'> } {
  if (typeof options !== 'object' || options === null) return { enabled: true, rest: options };
  const { enabled, ...rest } = options;
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new KvsInvalidArgumentError(
      `Invalid KvsCacheModule option enabled: expected true or false, got ${describeValue(enabled)}.`,
    );
  }
  return { enabled: enabled ?? true, rest };
}
