/**
 * Tags on a Redis Cluster: a namespace's tag versions share one hash slot (whatever braces the
 * namespace holds), so a hit reads them with one MGET however many tags the entry has, and
 * invalidating several tags sends their SETs to one node; two instances with the local tier.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { KvsModuleOptions } from '../../../lib/index.js';
import {
  startCluster,
  stopAll,
  type RedisCluster,
  type RedisServer,
} from '../../support/redis-servers.js';
import { boot, closeApps, uniquePrefix, type Booted } from '../cache.fixtures.js';
import { commandCounts, ran, until } from './tags.support.js';

afterEach(closeApps);
afterAll(stopAll, 30_000);

let cluster: RedisCluster;
let masters: RedisServer[];
beforeAll(async () => {
  cluster = await startCluster();
  masters = await cluster.masters();
}, 60_000);

/** Instances sharing keys on the Cluster; no hash tag in the keyPrefix, so keys spread. */
async function instances(n: number, namespace: string, local = false): Promise<Booted[]> {
  const store: KvsModuleOptions = {
    type: 'redis',
    cluster: { nodes: cluster.startupNodes },
    keyPrefix: uniquePrefix(),
  };
  const cache = { timeout: '5s', namespace, ...(local ? { local: true } : {}) } as const;
  const all: Booted[] = [];
  for (let i = 0; i < n; i++)
    all.push(await boot({ backend: 'redis', storeOptions: store, cache }));
  return all;
}

describe.each(['cache', 'a{b}c', '{}'])('on a Redis Cluster, namespace %s', (namespace) => {
  it('a hit reads the versions of many tags with one MGET; an invalidation drops it', async () => {
    const [a] = (await instances(1, namespace)) as [Booted];
    const tags = Array.from({ length: 12 }, (_, i) => `tag:${i}`);
    await a.cache.wrap('k', () => 'v1', { tags });
    const perNode = () => Promise.all(masters.map((m) => commandCounts([m])));
    const sets = await perNode();
    await a.cache.invalidateTags(tags.slice(0, 6));
    const setsBy = (await perNode()).map((after, i) => after.set - sets[i]!.set);
    expect(setsBy.filter((n) => n > 0)).toEqual([6]);
    expect(await a.cache.wrap('k', () => 'v2', { tags })).toBe('v2');
    const before = await commandCounts(masters);
    expect(await a.cache.wrap('k', () => 'unused', { tags })).toBe('v2');
    // One MGET per slot, sent together: the entry's, and one for the 12 tags (they share a slot).
    expect(ran(before, await commandCounts(masters))).toEqual({ mget: 2 });
    await a.cache.invalidateTags(['tag:11']);
    expect(await a.cache.wrap('k', () => 'v3', { tags })).toBe('v3');
  }, 30_000);
});

describe('on a Redis Cluster with the local tier', () => {
  it('an invalidation on A reaches B', async () => {
    const [a, b] = (await instances(2, 'cache', true)) as [Booted, Booted];
    let loads = 0;
    const load = (app: Booted) => app.cache.wrap('k', () => ++loads, { tags: ['t'] });
    await load(b);
    await until('a local hit on B', async () => {
      await load(b);
      return b.cache.stats().localHits > 0;
    });
    const heard = b.cache.stats().invalidationsReceived;
    await a.cache.invalidateTags('t');
    await until('B to hear it', () => b.cache.stats().invalidationsReceived > heard);
    expect(await load(b)).toBe(2);
  }, 30_000);
});
