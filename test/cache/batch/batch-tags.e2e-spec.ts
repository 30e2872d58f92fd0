/**
 * Batches and tags on memory and on Redis: a batch checks the tags of the tagged entries it reads
 * (those a tagged `wrap` or `@Cacheable` wrote under the same keys), so an invalidated entry is
 * loaded again, never served; and the batch's own `tags` and `resultTags`.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KvsCacheModuleOptions } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { BACKENDS, boot, closeApps } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

/** A loader that records its calls and answers `<round>:<key>`. */
function loader(round: string) {
  const calls: string[][] = [];
  const load = async (missing: string[]): Promise<string[]> => {
    calls.push(missing);
    return missing.map((key) => `${round}:${key}`);
  };
  return { calls, load };
}

describe.each(BACKENDS)('wrapMany and tagged entries on %s', (backend) => {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const start = (cache: KvsCacheModuleOptions = {}) =>
    boot({ backend, url: redis.server.url, cache: { timeout: '5s', ...cache } });

  it('loads again an entry a tagged wrap() wrote once one of its tags is invalidated', async () => {
    const { cache } = await start();
    await cache.wrap('user:1', () => 'old:user:1', { tags: ['user:1', 'users'] });
    await cache.wrap('user:2', () => 'old:user:2', { tags: ['user:2', 'users'] });
    await cache.wrap('card:1', () => 'old:card:1', { resultTags: () => ['user:1'] });
    await cache.invalidateTags('user:1');
    cache.resetStats();
    const next = loader('new');
    expect(await cache.wrapMany(['user:1', 'user:2', 'card:1', 'user:3'], next.load)).toEqual([
      'new:user:1',
      'old:user:2',
      'new:card:1',
      'new:user:3',
    ]);
    expect(next.calls).toEqual([['user:1', 'card:1', 'user:3']]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3 });

    await cache.invalidateTags('users');
    const last = loader('last');
    // The batch stored its values untagged: only user:2 still carries 'users'.
    expect(await cache.wrapMany(['user:1', 'user:2', 'card:1'], last.load)).toEqual([
      'new:user:1',
      'last:user:2',
      'new:card:1',
    ]);
    expect(last.calls).toEqual([['user:2']]);
  });
});
