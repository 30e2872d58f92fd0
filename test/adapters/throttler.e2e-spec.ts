/**
 * nestjs-kvs/throttler. The storage on its own runs here, in Jest: exact under concurrency on
 * Redis and on a Cluster, bounded in memory. What needs @nestjs/throttler at run time (its own
 * storage as the reference, ThrottlerModule and ThrottlerGuard in a real app) runs in a plain Node
 * process, throttler/throttler.peer.ts, because throttler 6 is CommonJS requiring Nest 12 (ESM),
 * which Jest cannot do before Node 24.9; this suite asserts on what that process reports.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createMemoryStore, createRedisStore, type KvsStore } from '../../lib/index.js';
import { KvsThrottlerStorage } from '../../lib/adapters/throttler/index.js';
import { useRedisServer } from '../support/backends.js';
import { startCluster, type RedisCluster } from '../support/redis-servers.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const redis = useRedisServer();

/** A hit every `steps[i]` ms later on a test clock; the records, as the guard sees them. */
async function run(store: KvsStore, steps: number[], ttl: number, limit: number, block: number) {
  let now = 1_700_000_000_000;
  const storage = new KvsThrottlerStorage(store, { clock: () => now });
  const out = [];
  for (const advance of steps) {
    now += advance;
    out.push(await storage.increment('k', ttl, limit, block, 'default'));
  }
  return out;
}

const stores = redis.stores({ redis: () => ({ keyPrefix: `t${Math.random()}:` }) });

describe('KvsThrottlerStorage', () => {
  it.each(stores)('blocks over the limit, then counts again from zero (%s)', async (_, create) => {
    const store = await create();
    const steps = [0, 100, 100, 100, 100, 800, 4_000, 200];
    const got = await run(store, steps, 1_000, 3, 5_000);
    expect(got.map((r) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, false, 0],
      [4, true, 5], // over the limit: blocked for 5 s
      [4, true, 5], // refused requests are not counted
      [1, true, 5], // hits expire one by one (ttl 1 s); the block stays
      [0, true, 1],
      [1, false, 0], // the block is over
    ]);
    expect(got.every((r) => r.timeToExpire === 1)).toBe(true);
  });

  it.each(stores)('without a block duration refuses without counting (%s)', async (_, create) => {
    const store = await create();
    const got = await run(store, [0, 100, 100, 850], 1_000, 2, 0);
    expect(got.map((r) => [r.totalHits, r.isBlocked, r.timeToBlockExpire])).toEqual([
      [1, false, 0],
      [2, false, 0],
      [3, true, 1], // the oldest hit expires in 0.8 s
      [2, false, 0], // it has: one slot free
    ]);
  });

  it.each(stores)('with limit 0 refuses every request (%s)', async (_, create) => {
    const store = await create();
    const blocking = await run(store, [0, 1_000, 1_000, 5], 1_000, 0, 1_000);
    expect(blocking.map((r) => r.isBlocked)).toEqual([true, true, true, true]);
  });

  it('uses the Redis server’s clock by default, and its keys expire when idle', async () => {
    await redis.flush();
    const store = await redis.redisStore();
    const storage = new KvsThrottlerStorage(store);
    expect(await storage.increment('ip-1', 2_000, 1, 2_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 2,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect(await storage.increment('ip-1', 2_000, 1, 2_000, 'default')).toMatchObject({
      totalHits: 2,
      isBlocked: true,
      timeToBlockExpire: 2,
    });
    const keys = (await redis.server.cli('KEYS', '*')).split('\n').sort();
    expect(keys).toEqual(['throttler:{ip-1}:default:h', 'throttler:{ip-1}:default:s']);
    for (const key of keys) {
      const pttl = Number(await redis.server.cli('PTTL', key));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(2_000);
    }
  });

  it('lets exactly 20 of 200 concurrent hits through on Redis', async () => {
    const store = await redis.redisStore({ keyPrefix: 'concurrent:' });
    const storage = new KvsThrottlerStorage(store);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => storage.increment('ip', 60_000, 20, 60_000, 'default')),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(20);
  });

  it('forgets the least recently used key past maxKeys, in memory', async () => {
    const storage = new KvsThrottlerStorage(createMemoryStore(), { maxKeys: 2 });
    for (const key of ['a', 'b', 'a', 'c']) await storage.increment(key, 60_000, 5, 0, 'default');
    expect((await storage.increment('a', 60_000, 5, 0, 'default')).totalHits).toBe(3); // kept
    expect((await storage.increment('b', 60_000, 5, 0, 'default')).totalHits).toBe(1); // forgotten
  });

  it('rejects other stores and bad arguments, naming the fix', async () => {
    const plain = { ...createMemoryStore(), backend: 'custom' } as unknown as KvsStore;
    expect(() => new KvsThrottlerStorage(plain)).toThrow(/RedisStore .* or a MemoryStore/);
    expect(() => new KvsThrottlerStorage(createMemoryStore(), { maxKeys: 0 })).toThrow(/maxKeys/);
    const storage = new KvsThrottlerStorage(createMemoryStore());
    await expect(storage.increment('k', 0, 1, 0, 'default')).rejects.toThrow(/ttl: 60_000/);
    await expect(storage.increment('k', 1_000, 1, -1, 'default')).rejects.toThrow(/blockDuration/);
  });
});

describe('KvsThrottlerStorage on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster({ replicasPerMaster: 0 });
  }, 60_000);

  it('runs each decision on one slot (hash-tagged keys) and stays exact', async () => {
    const store = redis.closeAfterTest(
      await createRedisStore({ cluster: { nodes: cluster.urls }, keyPrefix: 'c:' }),
    );
    const storage = new KvsThrottlerStorage(store);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        storage.increment(`tracker-${i % 4}`, 60_000, 10, 60_000, 'default'),
      ),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(40);
  });
});

describe('with @nestjs/throttler itself (in a plain Node process)', () => {
  type Headers = { [name: string]: string };
  let peer: { [check: string]: unknown };

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nestjs-kvs-throttler-'));
    const file = join(dir, 'result.json');
    try {
      await promisify(execFile)(
        process.execPath,
        [
          '--import',
          './test/support/ts-register.mjs',
          'test/adapters/throttler/throttler.peer.ts',
          file,
        ],
        { cwd: repoRoot, env: { ...process.env, REDIS_URL: redis.server.url }, timeout: 90_000 },
      );
      peer = JSON.parse(await readFile(file, 'utf8')) as typeof peer;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('gives throttler’s own answers on the blocking scenario', async () => {
    const mine = await run(
      createMemoryStore(),
      [0, 100, 100, 100, 100, 800, 4_000, 200],
      1_000,
      3,
      5_000,
    );
    expect(mine).toEqual(peer['blockingReference']);
  });

  it('gives throttler’s own answers on random scenarios, in memory and on Redis', () => {
    expect(peer['parityMemory']).toEqual({});
    expect(peer['parityRedis']).toEqual({});
  });

  it('lets exactly 20 of 200 concurrent requests through ThrottlerGuard', () => {
    expect(peer['burstMemory']).toEqual({ 200: 20, 429: 180 });
    expect(peer['burstRedis']).toEqual({ 200: 20, 429: 180 });
  });

  it('shares the limit between two app instances on one Redis', () => {
    expect(peer['burstTwoInstances']).toEqual({ 200: 20, 429: 180 });
  });

  it('lets the guard send its headers, Retry-After in seconds', () => {
    const { first, refused } = peer['headers'] as {
      first: [number, Headers];
      refused: [number, Headers];
    };
    expect(first[0]).toBe(200);
    expect(first[1]).toMatchObject({ 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '19' });
    expect(Number(first[1]['x-ratelimit-reset'])).toBe(60);
    expect(refused[0]).toBe(429);
    expect(Number(refused[1]['retry-after'])).toBe(60);
  });

  it('keeps throttlers apart under one key, where throttler’s own storage shares the block', () => {
    // A generateKey that drops the throttler name: 'short' is blocked, 'long' takes a first hit.
    const { throttler, memory, redis } = peer['oneKeyTwoThrottlers'] as {
      [storage: string]: { totalHits: number; isBlocked: boolean };
    };
    // Throttler's storage: 'long' is refused, uncounted, by the block of 'short'.
    expect(throttler).toMatchObject({ totalHits: 0, isBlocked: true });
    expect(memory).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(redis).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('reported no error', () => {
    const errors = Object.entries(peer).filter(
      ([, result]) => typeof result === 'object' && result !== null && 'error' in result,
    );
    expect(errors).toEqual([]);
  });
});
