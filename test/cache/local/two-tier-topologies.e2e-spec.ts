/**
 * The local tier's coherence on a Redis Cluster and through Sentinel: two app instances, a write
 * and a prefix eviction on one leave the other's tier.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { KvsModuleOptions } from '../../../lib/index.js';
import {
  startCluster,
  startSentinel,
  stopAll,
  waitUntil,
  type RedisCluster,
  type RedisSentinelSet,
} from '../../support/redis-servers.js';
import { boot, closeApps, uniquePrefix, type Booted } from '../cache.fixtures.js';

afterEach(closeApps);
afterAll(stopAll, 30_000);

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitUntil(what, async () => (await check()) || undefined, {
    timeoutMs: 15_000,
    intervalMs: 10,
  });
}

/** Two instances sharing `store`, with the local tier on; B's tier holds 'user:1' and 'user:2'. */
async function warmPair(store: KvsModuleOptions): Promise<[Booted, Booted]> {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip the eviction.
  const cache = { local: true, timeout: '5s' } as const;
  const a = await boot({ backend: 'redis', storeOptions: store, cache });
  const b = await boot({ backend: 'redis', storeOptions: store, cache });
  for (const key of ['user:1', 'user:2']) {
    await b.cache.wrap(key, () => `old ${key}`);
    await until('the tier to hold it', async () => {
      await b.cache.wrap(key, () => 'unused');
      return b.cache.stats().localHits > 0;
    });
    b.cache.resetStats();
  }
  return [a, b];
}

async function expectCoherent(a: Booted, b: Booted): Promise<void> {
  let seen = b.cache.stats().invalidationsReceived;
  await a.cache.set('user:1', 'new user:1');
  await until('B to hear the write', () => b.cache.stats().invalidationsReceived > seen);
  expect(await b.cache.wrap('user:1', () => 'unused')).toBe('new user:1');
  seen = b.cache.stats().invalidationsReceived;
  await a.cache.deletePrefix('user:');
  await until('B to hear the eviction', () => b.cache.stats().invalidationsReceived > seen);
  expect(await b.cache.wrap('user:2', () => 'recomputed')).toBe('recomputed');
}

describe('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);

  it('keeps two instances coherent', async () => {
    const [a, b] = await warmPair({
      type: 'redis',
      cluster: { nodes: cluster.startupNodes },
      keyPrefix: `{${uniquePrefix()}}`,
    });
    await expectCoherent(a, b);
  }, 30_000);

  it('refuses local.tracking with the reason', async () => {
    await expect(
      boot({
        backend: 'redis',
        storeOptions: { type: 'redis', cluster: { nodes: cluster.startupNodes } },
        cache: { local: { tracking: true } },
      }),
    ).rejects.toThrow(/local.tracking is not available on a Redis Cluster/);
  });
});

describe('through Sentinel', () => {
  let set: RedisSentinelSet;
  beforeAll(async () => {
    set = await startSentinel();
  }, 60_000);

  it('keeps two instances coherent', async () => {
    const [a, b] = await warmPair({
      type: 'redis',
      sentinel: { sentinels: set.sentinelAddresses, name: set.masterName },
      keyPrefix: uniquePrefix(),
    });
    await expectCoherent(a, b);
  }, 30_000);
});
