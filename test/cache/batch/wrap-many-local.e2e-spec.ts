/**
 * Batches with the local tier: hits from process memory first (no command at all when every key
 * is one), the store read fills the tier, and two instances on one Redis stay coherent.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps, uniquePrefix, until, type Booted } from '../cache.fixtures.js';
import { commandCalls } from '../../support/command-stats.js';
import { dataCalls } from './batch.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

/** Two instances of one app with the local tier on, sharing their keys. */
async function twoInstances(): Promise<[Booted, Booted]> {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const cache = { local: true, timeout: '5s' } as const;
  const keyPrefix = uniquePrefix();
  const start = () => boot({ backend: 'redis', url: redis.server.url, keyPrefix, cache });
  return [await start(), await start()];
}

const dataCommands = async () => dataCalls(await commandCalls([redis.server]));
const keys = Array.from({ length: 50 }, (_, i) => `item:${i}`);
const load = async (missing: string[]) => missing.map((key) => ({ key, version: 1 }));

describe('wrapMany with the local tier', () => {
  it('answers a batch of local hits without a command to Redis', async () => {
    const [a] = await twoInstances();
    await a.cache.wrapMany(keys, load);
    a.cache.resetStats();
    const before = await dataCommands();
    const values = await a.cache.wrapMany(keys, () => Promise.reject(new Error('not called')));
    expect(values).toEqual(keys.map((key) => ({ key, version: 1 })));
    expect((await dataCommands()) - before).toBe(0);
    expect(a.cache.stats()).toMatchObject({ hits: 50, localHits: 50, storeHits: 0, misses: 0 });
  });

  it('fills the tier from its store read, and drops what another instance changes', async () => {
    const [a, b] = await twoInstances();
    await a.cache.wrapMany(keys, load);
    await until(() => b.cache.stats().invalidationsReceived >= keys.length, 15_000);
    expect(await b.cache.wrapMany(keys, load)).toHaveLength(50);
    expect(b.cache.stats()).toMatchObject({ storeHits: 50, localHits: 0 });

    const seen = b.cache.stats().invalidationsReceived;
    await a.cache.set('item:7', { key: 'item:7', version: 2 });
    await until(() => b.cache.stats().invalidationsReceived > seen, 15_000);
    b.cache.resetStats();
    const values = await b.cache.wrapMany(keys, load);
    expect(values[7]).toEqual({ key: 'item:7', version: 2 });
    expect(values[8]).toEqual({ key: 'item:8', version: 1 });
    expect(b.cache.stats()).toMatchObject({ localHits: 49, storeHits: 1, misses: 0 });
  });
});
