/**
 * The rate-limit script on a Redis Cluster (3 masters, 3 replicas): every decision's keys share a
 * hash tag, so multi-policy decisions run atomically on whichever master owns the client's slot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createRedisStore,
  RateLimiter,
  type RateLimitPolicy,
  type RedisStore,
} from '../../lib/index.js';
import { startCluster, stopAll, type RedisCluster } from '../support/redis-servers.js';

let cluster: RedisCluster;
let store: RedisStore;
beforeAll(async () => {
  cluster = await startCluster();
  store = await createRedisStore({ cluster: { nodes: cluster.startupNodes }, keyPrefix: 'c:' });
}, 90_000);
afterAll(async () => {
  await store?.close();
  await stopAll();
}, 30_000);

const policies: RateLimitPolicy[] = [
  { limit: 5, window: 1000, name: 'burst' },
  { limit: 100, window: 60_000, algorithm: 'fixed-window', name: 'minute' },
  { limit: 20, window: 10_000, algorithm: 'token-bucket', name: 'bucket' },
];

describe('on Redis Cluster', () => {
  it('decides multi-policy requests for clients spread over every master', async () => {
    const limiter = new RateLimiter({ store, onStoreError: 'deny' });
    const clients = Array.from({ length: 60 }, (_, i) => `10.0.0.${i}:Api.get`);
    const decisions = await Promise.all(clients.map((c) => limiter.consume(c, policies)));
    expect(decisions.filter((d) => d.storeError !== undefined)).toEqual([]);
    expect(decisions.every((d) => d.allowed && d.remaining === 4)).toBe(true);
    const owners = new Set<number>();
    for (const c of clients) owners.add((await cluster.masterForKey(`c:rl:{${c}}:burst:s`)).port);
    expect(owners.size).toBe(3);
    const master = await cluster.masterForKey(`c:rl:{${clients[0]}}:burst:s`);
    expect(await master.cli('EXISTS', `c:rl:{${clients[0]}}:minute:f`)).toBe('1');
  });

  it('decides policies with different keys together when the keys share a tag', async () => {
    const limiter = new RateLimiter({ store, onStoreError: 'deny' });
    const entries = [
      { key: '{user:42}', policy: { limit: 3, window: 60_000, name: 'user' } },
      { key: '{user:42}:ip:10.1.1.1', policy: { limit: 1, window: 60_000, name: 'user-ip' } },
    ];
    expect((await limiter.decide(entries)).allowed).toBe(true);
    const refused = await limiter.decide(entries);
    expect(refused).toMatchObject({ allowed: false, policy: 'user-ip' });
    expect(refused.storeError).toBeUndefined();
    expect(refused.policies[0]).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('admits exactly the limit from 500 concurrent requests, and survives SCRIPT FLUSH on every master', async () => {
    // Exactness, not speed: a loaded machine must not turn slow answers into refusals.
    const limiter = new RateLimiter({ store, onStoreError: 'deny', timeout: '10s' });
    const policy: RateLimitPolicy = { limit: 50, window: 600_000 };
    const first = await Promise.all(
      Array.from({ length: 500 }, () => limiter.consume('crowd', policy)),
    );
    expect(first.filter((d) => d.allowed).length).toBe(50);
    for (const master of await cluster.masters()) await master.cli('SCRIPT', 'FLUSH');
    const after = await limiter.consume('after-flush', policy);
    expect(after).toMatchObject({ allowed: true, remaining: 49 });
  });
});
