/**
 * The conformance suite, unchanged, on a real Redis Cluster (3 masters with a replica each) and a
 * real Sentinel set (a master, a replica, three sentinels), plus what only those topologies have.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedisStore, defineScript } from '../../lib/index.js';
import {
  startCluster,
  startSentinel,
  stopAll,
  type RedisCluster,
  type RedisSentinelSet,
} from '../support/redis-servers.js';
import { describeStoreConformance, rejectsWith } from './store.conformance.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let cluster: RedisCluster;
let sentinel: RedisSentinelSet;
beforeAll(async () => {
  [cluster, sentinel] = await Promise.all([startCluster(), startSentinel()]);
}, 90_000);
afterAll(async () => {
  await stopAll();
}, 30_000);

describeStoreConformance('redis cluster', {
  advance: sleep,
  create: async () => {
    await cluster.flushAll();
    const nodes = cluster.urls; // e.g. ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']
    // readme: cluster
    const store = await createRedisStore({
      cluster: { nodes }, // node URLs (credentials from the first) or { host, port }
      keyPrefix: 'c*[',
    });
    // readme: end
    return store;
  },
});

describeStoreConformance('redis sentinel', {
  advance: sleep,
  create: async () => {
    await sentinel.master.cli('FLUSHALL');
    const sentinels = sentinel.sentinelAddresses; // e.g. [{ host: '10.0.0.5', port: 26379 }]
    // readme: sentinel
    const store = await createRedisStore({
      sentinel: { sentinels, name: 'mymaster' }, // + password / sentinelPassword if required
      keyPrefix: 's:',
    });
    // readme: end
    return store;
  },
});

describe('redis cluster specifics', () => {
  it('spreads keys over every master and lists them all, sorted, from one call', async () => {
    await cluster.flushAll();
    const store = await createRedisStore({ cluster: { nodes: cluster.startupNodes } });
    const keys = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await Promise.all(keys.map((k) => store.set(k, Buffer.from(k))));
    const masters = await cluster.masters();
    const sizes = await Promise.all(masters.map(async (m) => Number(await m.cli('DBSIZE'))));
    expect(sizes.filter((n) => n > 0)).toHaveLength(3);
    expect(await store.list('k')).toEqual(keys);
    const values = await store.getMany(keys);
    expect(values.map((v) => v?.toString())).toEqual(keys);
    expect(await store.deleteMany(keys)).toBe(200);
    await store.close();
  });

  it('runs scripts over hash-tagged keys and names the fix for keys in different slots', async () => {
    const store = await createRedisStore({ cluster: { nodes: cluster.startupNodes } });
    const both = defineScript(
      `return redis.call('SET', KEYS[1], ARGV[1]) and redis.call('SET', KEYS[2], ARGV[1])`,
    );
    await store.evalScript(both, ['{user:1}:a', '{user:1}:b'], ['v']);
    expect((await store.get('{user:1}:b')).toString()).toBe('v');
    const err = await rejectsWith(
      store.evalScript(both, ['a', 'b'], ['v']),
      'KVS_INVALID_ARGUMENT',
    );
    expect(err.message).toMatch(/hash tag/);
    await store.close();
  });
});
