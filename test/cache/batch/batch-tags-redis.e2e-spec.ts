/**
 * What tagged batches cost on Redis, counted from INFO commandstats: the tags of every tagged
 * entry a batch reads are checked with ONE more MGET (not one per entry), on a standalone server
 * and on a Cluster (where a namespace's tag keys share one slot); with the local tier, a batch of
 * tagged local hits sends nothing, and an invalidation on another instance is seen.
 */
import { describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import type { KvsCache } from '../../../lib/index.js';
import type { RedisServer } from '../../support/redis-servers.js';
import { boot, uniquePrefix, until, type Booted } from '../cache.fixtures.js';
import { useServers } from '../grace/grace.fixtures.js';
import { commandCalls } from '../../support/command-stats.js';
import { dataCalls } from './batch.fixtures.js';

const servers = useServers(true);

const keys = Array.from({ length: 40 }, (_, i) => `user:${i}`);
const load = async (missing: string[]) => missing.map((key) => `loaded ${key}`);

/** Writes every key with a tagged wrap(): two tags each, one shared by all. */
async function writeTagged(cache: KvsCache): Promise<void> {
  for (const key of keys) await cache.wrap(key, () => `tagged ${key}`, { tags: [key, 'users'] });
}

/** An app on the Cluster, its keys spread over the slots (no hash tag in the keyPrefix). */
async function onCluster() {
  const keyPrefix = uniquePrefix();
  const nodes = servers.cluster().startupNodes;
  const storeOptions = { type: 'redis', cluster: { nodes }, keyPrefix } as const;
  return {
    ...(await boot({ backend: 'redis', storeOptions, cache: { timeout: '5s' } })),
    keyPrefix,
  };
}

/** The slots of the keys' entries on the Cluster. */
const slotsOf = (keyPrefix: string) =>
  new Set(keys.map((key) => calculateSlot(`${keyPrefix}cache:${key}`)));

/** The commands `servers` ran during `run`. */
async function counted(servers: RedisServer[], run: () => Promise<unknown>) {
  for (const s of servers) await s.cli('CONFIG', 'RESETSTAT');
  await run();
  return commandCalls(servers);
}

describe('a batch reading tagged entries', () => {
  it('checks all their tags with one MGET on a standalone server', async () => {
    const server = servers.server();
    const { cache } = await boot({ backend: 'redis', url: server.url, cache: { timeout: '5s' } });
    await writeTagged(cache);
    await cache.invalidateTags('user:7');
    const calls = await counted([server], async () => {
      const values = await cache.wrapMany(keys, load);
      expect(values[7]).toBe('loaded user:7');
      expect(values.filter((v) => v.startsWith('tagged'))).toHaveLength(39);
    });
    expect(calls.get('mget')).toBe(2); // the values, then the tags of all 40 entries
    expect(calls.get('get')).toBeUndefined();
    expect(calls.get('set')).toBe(1);
  });

  it('sends one MGET per slot of the values and one for the tags on a Cluster', async () => {
    const { cache, keyPrefix } = await onCluster();
    await writeTagged(cache);
    const masters = await servers.cluster().masters();
    const calls = await counted(masters, async () => {
      expect(await cache.wrapMany(keys, load)).toEqual(keys.map((key) => `tagged ${key}`));
    });
    const slots = slotsOf(keyPrefix);
    expect(slots.size).toBeGreaterThan(1);
    expect(calls.get('mget')).toBe(slots.size + 1);
    expect(calls.get('get')).toBeUndefined();
  }, 30_000);

  it('with tags of its own on a Cluster: the versions ride with the values, one MGET', async () => {
    const { cache, keyPrefix } = await onCluster();
    const tags = (key: string) => [key, 'users'];
    await cache.wrapMany(keys, load, { tags });
    await cache.invalidateTags('user:3');
    const masters = await servers.cluster().masters();
    const calls = await counted(masters, async () => {
      const values = await cache.wrapMany(keys, async (missing) => missing, { tags });
      expect(values.filter((v) => !v.startsWith('loaded'))).toEqual(['user:3']);
    });
    const slots = slotsOf(keyPrefix);
    // One round trip: an MGET per slot of the values and one of the 41 tag versions; one write.
    expect(calls.get('mget')).toBe(slots.size + 1);
    expect(calls.get('get')).toBeUndefined();
    expect(calls.get('set')).toBe(1);
  }, 30_000);

  it('with the local tier: tagged local hits send nothing; an invalidation elsewhere is seen', async () => {
    const keyPrefix = uniquePrefix();
    const cache = { local: true, timeout: '5s' } as const;
    const server = servers.server();
    const start = () => boot({ backend: 'redis', url: server.url, keyPrefix, cache });
    const [a, b]: Booted[] = [await start(), await start()];
    await writeTagged(b!.cache);
    b!.cache.resetStats();
    const calls = await counted([server], async () => {
      expect(await b!.cache.wrapMany(keys, load)).toEqual(keys.map((key) => `tagged ${key}`));
    });
    expect(dataCalls(calls)).toBe(0);
    expect(b!.cache.stats()).toMatchObject({ localHits: 40, misses: 0 });

    const heard = b!.cache.stats().invalidationsReceived;
    await a!.cache.invalidateTags('users');
    await until(() => b!.cache.stats().invalidationsReceived > heard, 15_000);
    expect(await b!.cache.wrapMany(keys, load)).toEqual(keys.map((key) => `loaded ${key}`));
  }, 30_000);
});
