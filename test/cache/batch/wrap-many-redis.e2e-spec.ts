/**
 * What a batch costs on Redis: 1,000 ids with 10% misses take ONE read round trip (one MGET on a
 * standalone server, one per slot on a Cluster, no GET) and ONE loader call with the 100 missing
 * ids in the caller's order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import type { KvsCache, KvsModuleOptions } from '../../../lib/index.js';
import {
  startCluster,
  startRedis,
  stopAll,
  type RedisCluster,
  type RedisServer,
} from '../../support/redis-servers.js';
import { boot, closeApps, uniquePrefix } from '../cache.fixtures.js';
import { commandCalls } from '../../support/command-stats.js';
import { shuffledIds } from './batch.fixtures.js';

afterEach(closeApps);
afterAll(stopAll, 30_000);

const ids = shuffledIds(1000);
const keyOf = (id: string) => `user:${id}`;
const isMissing = (id: string) => Number(id) % 10 === 0;

/** Caches the 900 ids that will hit, resets the servers' counters, then runs the batch. */
async function batchOf1000(cache: KvsCache, servers: () => Promise<RedisServer[]>) {
  const present = ids.filter((id) => !isMissing(id)).map(keyOf);
  await cache.wrapMany(present, async (missing) => missing.map((key) => ({ key })));
  for (const server of await servers()) await server.cli('CONFIG', 'RESETSTAT');
  cache.resetStats();
  const calls: string[][] = [];
  const values = await cache.wrapMany(ids.map(keyOf), async (missing) => {
    calls.push(missing);
    return missing.map((key) => ({ key, loaded: true }));
  });
  expect(values).toEqual(
    ids.map((id) => (isMissing(id) ? { key: keyOf(id), loaded: true } : { key: keyOf(id) })),
  );
  expect(calls).toEqual([ids.filter(isMissing).map(keyOf)]);
  expect(cache.stats()).toMatchObject({ hits: 900, misses: 100, loads: 1, writes: 100 });
  return commandCalls(await servers());
}

describe('on a standalone server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  }, 30_000);

  it('reads 1,000 keys with one MGET and loads the 100 missing with one call', async () => {
    const { cache } = await boot({ backend: 'redis', url: server.url, cache: { timeout: '5s' } });
    const calls = await batchOf1000(cache, async () => [server]);
    expect(calls.get('mget')).toBe(1);
    expect(calls.get('get')).toBeUndefined();
    expect(calls.get('set')).toBe(100);
  });
});

describe('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster({ replicasPerMaster: 0 });
  }, 60_000);

  const start = (keyPrefix: string) => {
    const store: KvsModuleOptions = {
      type: 'redis',
      cluster: { nodes: cluster.startupNodes },
      keyPrefix,
    };
    return boot({ backend: 'redis', storeOptions: store, cache: { timeout: '5s' } });
  };

  it('sends one MGET per slot of the keys read, and no GET', async () => {
    const keyPrefix = uniquePrefix();
    const { cache } = await start(keyPrefix);
    const calls = await batchOf1000(cache, () => cluster.masters());
    const slots = new Set(ids.map((id) => calculateSlot(`${keyPrefix}cache:${keyOf(id)}`)));
    expect(slots.size).toBeGreaterThan(1);
    expect(calls.get('mget')).toBe(slots.size);
    expect(calls.get('get')).toBeUndefined();
  }, 30_000);

  it('sends a single MGET when a {hash tag} in the keyPrefix puts every key in one slot', async () => {
    const { cache } = await start(`{${uniquePrefix()}}`);
    const calls = await batchOf1000(cache, () => cluster.masters());
    expect(calls.get('mget')).toBe(1);
    expect(calls.get('get')).toBeUndefined();
  }, 30_000);
});
