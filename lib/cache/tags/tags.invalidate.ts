import { FAILED, type CacheSpace, type Flight } from '../engine/cache.space.js';
import type { CacheCounters } from '../cache.stats.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { epochKey, tagKey } from './tags.keys.js';

/**
 * Invalidates `tags` in the plan's namespace, whatever the number of entries carrying them: the
 * namespace's epoch takes its next value, then every tag's key is set to it (the SETs leave
 * together: two round trips in all). Entries recording an older version of one of the tags are
 * outdated from then on, in every instance. Before that, loads in flight in this process whose
 * entry carries (or, with result tags, may carry) one of them stop: they write nothing back, and
 * later callers do not join them. After it, the local tier forgets the tags' versions here and
 * in the other instances (one message), so their tagged entries are checked in the store again.
 * Resolves false when the store failed (logged and counted, like every store step of the cache).
 */
export async function invalidateTags(
  plan: CachePlan,
  tags: readonly string[],
  stats: CacheCounters,
): Promise<boolean> {
  const { space, namespace, timeout } = plan;
  if (tags.length === 0) return true;
  const keys = tags.map((tag) => tagKey(namespace, tag));
  cancelTagged(space, namespace, new Set(tags));
  try {
    const epoch = await space.step(
      'tags',
      () => space.store.increment(epochKey(namespace)),
      timeout,
    );
    if (epoch === FAILED) return false;
    const value = Buffer.from(String(epoch), 'latin1');
    const set = () => Promise.all(keys.map((key) => space.store.set(key, value)));
    if ((await space.step('tags', set, timeout)) === FAILED) return false;
    stats.tagInvalidations += tags.length;
    return true;
  } finally {
    const sync = space.local;
    if (sync !== undefined) {
      for (const key of keys) sync.tier.invalidate(key);
      sync.publish(keys);
    }
  }
}

/** Stops the loads of `namespace` in this process whose entry may carry one of `tags`. */
function cancelTagged(space: CacheSpace, namespace: string, tags: ReadonlySet<string>): void {
  const prefix = `${namespace}:`;
  const maps: Map<string, Flight<unknown>>[] = [space.flights, space.refreshing, space.overdue];
  for (const map of maps) {
    for (const [key, flight] of map) {
      if (flight.tags !== undefined && key.startsWith(prefix) && flight.tags.concerns(tags)) {
        flight.cancelled = true;
        map.delete(key);
      }
    }
  }
}
