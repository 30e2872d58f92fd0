/**
 * Tags on Redis, counted: invalidateTags runs the same few commands whatever the number of
 * entries carrying the tag; a tagged hit sends its version read along with the entry's GET; with
 * the local tier, two instances: an invalidation on A reaches B, and B's local hits of tagged
 * entries send no command while nothing changes.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps, uniquePrefix, type Booted } from '../cache.fixtures.js';
import { commandCounts, ran, until } from './tags.support.js';

const redis = useRedisServer();
afterEach(closeApps);
beforeEach(() => redis.flush());

const counts = () => commandCounts([redis.server]);

/** Instances of one app on the suite's Redis sharing their keys (store steps get 5 s). */
async function instances(n: number, local: boolean): Promise<Booted[]> {
  const keyPrefix = uniquePrefix();
  const cache = { timeout: '5s', ...(local ? { local: true } : {}) } as const;
  const all: Booted[] = [];
  for (let i = 0; i < n; i++)
    all.push(await boot({ backend: 'redis', url: redis.server.url, keyPrefix, cache }));
  return all;
}

describe('tags on Redis, counted', () => {
  it.each([10, 500])(
    'invalidateTags of one tag on %i entries: one EVALSHA, then one SET',
    async (entries) => {
      const [a] = await instances(1, false);
      for (let i = 0; i < entries; i++) await a!.cache.wrap(`e:${i}`, () => i, { tags: ['big'] });
      await a!.cache.invalidateTags('warm-up'); // loads the increment script (EVAL once)
      const before = await counts();
      await a!.cache.invalidateTags('big');
      // The GET is the increment script's own (commandstats counts the commands a script runs).
      expect(ran(before, await counts())).toEqual({ evalsha: 1, get: 1, set: 1 });
      expect(await a!.cache.wrap('e:7', () => 'new', { tags: ['big'] })).toBe('new');
    },
  );

  it('a hit of an entry with known tags: one MGET reads the entry and the versions', async () => {
    const [a] = await instances(1, false);
    const tags = ['user:1', 'team:1', 'org:1'];
    await a!.cache.wrap('k', () => 'v', { tags });
    await a!.cache.invalidateTags('team:1');
    await a!.cache.wrap('k', () => 'v2', { tags });
    const before = await counts();
    expect(await a!.cache.wrap('k', () => 'unused', { tags })).toBe('v2');
    expect(ran(before, await counts())).toEqual({ mget: 1 });
  });
});

describe('tags with the local tier, two instances', () => {
  it('an invalidation on A reaches B; B hits its tagged entries with no command meanwhile', async () => {
    const [a, b] = (await instances(2, true)) as [Booted, Booted];
    let loads = 0;
    const load = (app: Booted) => app.cache.wrap('report', () => ++loads, { tags: ['sales'] });
    expect(await load(b)).toBe(1);
    await until('a local hit on B', async () => {
      await load(b);
      return b.cache.stats().localHits > 0;
    });
    const before = await counts();
    for (let i = 0; i < 50; i++) expect(await load(b)).toBe(1);
    expect(ran(before, await counts())).toEqual({});
    const heard = b.cache.stats().invalidationsReceived;
    expect(await a.cache.invalidateTags('sales')).toBe(true);
    await until('B to hear it', () => b.cache.stats().invalidationsReceived > heard);
    expect(await load(b)).toBe(2);
    expect(await load(a)).toBe(2);
  });

  it('an instance forgets the versions of the tags it invalidates itself', async () => {
    const [a] = (await instances(1, true)) as [Booted];
    let loads = 0;
    const load = () => a.cache.wrap('k', () => ++loads, { tags: ['t'] });
    await load();
    await load();
    expect(a.cache.stats().localHits).toBe(1);
    await a.cache.invalidateTags('t');
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
  });
});
