/**
 * The two-tier cache across app instances on one Redis: hits from process memory that send no
 * command, and every write or eviction made through the library on one instance leaving the
 * local tier of every other, also through a killed subscriber connection and a Redis restart.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { CacheEvict, CachePut, Cacheable, type KvsCacheModuleOptions } from '../../../lib/index.js';
import { waitUntil } from '../../support/redis-servers.js';
import { urlOfUserWithout } from '../../support/acl.js';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps, uniquePrefix, type Booted } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

@Injectable()
class Prices {
  calls = 0;
  version = 1;

  @Cacheable({ key: (sku: string) => `price:${sku}`, ttl: '1m' })
  async price(sku: string): Promise<{ sku: string; version: number }> {
    this.calls++;
    return { sku, version: this.version };
  }

  @CachePut({ key: (sku: string) => `price:${sku}`, ttl: '1m' })
  async reprice(sku: string, version: number): Promise<{ sku: string; version: number }> {
    return { sku, version };
  }

  @CacheEvict({ key: (sku: string) => `price:${sku}` })
  async drop(_sku: string): Promise<void> {}
}

/** Two instances of one app on the suite's Redis, sharing their keys. */
async function twoInstances(
  options: KvsCacheModuleOptions = { local: true },
): Promise<[Booted, Booted]> {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const cache = { timeout: '5s', ...options } as const;
  const keyPrefix = uniquePrefix();
  const start = () =>
    boot({ backend: 'redis', url: redis.server.url, keyPrefix, cache, providers: [Prices] });
  return [await start(), await start()];
}

/** Resolves once `check` holds (polled every 10 ms); fails after 15 s. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitUntil(what, async () => (await check()) || undefined, {
    timeoutMs: 15_000,
    intervalMs: 10,
  });
}

/** Resolves once `instance` has heard `n` more invalidations than `before`. */
async function heard(instance: Booted, before: number, n = 1): Promise<void> {
  await until(
    'the invalidation to arrive',
    () => instance.cache.stats().invalidationsReceived >= before + n,
  );
}

/** Commands that read or write data so far (not the channel's heartbeat PINGs, INFO, PUBLISH). */
async function dataCommands(): Promise<number> {
  const info = await redis.server.info('commandstats');
  return ['get', 'mget', 'pttl', 'set', 'evalsha', 'eval', 'del', 'scan'].reduce(
    (sum, name) => sum + Number(/calls=(\d+)/.exec(info[`cmdstat_${name}`] ?? '')?.[1] ?? 0),
    0,
  );
}

describe('the local tier on one instance', () => {
  it('answers a hit from process memory without a command to Redis', async () => {
    const [a] = await twoInstances();
    const prices = a.app.get(Prices);
    await prices.price('p1');
    await prices.price('p1');
    const before = await dataCommands();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) await prices.price('p1');
    expect((await dataCommands()) - before).toBe(0);
    expect(prices.calls).toBe(1);
    expect(a.cache.stats()).toMatchObject({ misses: 1, localHits: 101, storeHits: 0, hits: 101 });
  });

  it('returns a fresh copy per hit by default, and one shared object with shared: true', async () => {
    const [a] = await twoInstances();
    const copy1 = await a.cache.wrap('k', () => ({ n: 1 }));
    const copy2 = await a.cache.wrap('k', () => ({ n: 2 }));
    const copy3 = await a.cache.wrap('k', () => ({ n: 3 }));
    expect(copy2).toEqual({ n: 1 });
    expect(copy2).not.toBe(copy3);
    expect(copy1).not.toBe(copy2);
    const [b] = await twoInstances({ local: { shared: true } });
    await b.cache.wrap('k', () => ({ n: 1 }));
    const shared1 = await b.cache.wrap('k', () => ({ n: 2 }));
    const shared2 = await b.cache.wrap('k', () => ({ n: 3 }));
    expect(shared1).toBe(shared2);
  });

  it('is bypassed by local: false on a call, which reads the store', async () => {
    const [a] = await twoInstances();
    await a.cache.wrap('k', () => 1);
    await a.cache.wrap('k', () => 2, { local: false });
    expect(a.cache.stats()).toMatchObject({ localHits: 0, storeHits: 1 });
  });

  it('never keeps an entry longer than the store does', async () => {
    const [a, b] = await twoInstances();
    await a.cache.set('short', 'v', { ttl: '2s' });
    await heard(b, 0);
    expect(await b.cache.get('short')).toBe('v');
    expect(await b.cache.get('short')).toBe('v');
    expect(b.cache.stats().localHits).toBe(1);
    await until('the entry to expire in Redis', async () => !(await b.store.has('cache:short')));
    expect(await b.cache.get('short')).toBeUndefined();
  });
});

describe('coherence across instances', () => {
  it('drops the entry everywhere on set, @CachePut, delete and @CacheEvict', async () => {
    const [a, b] = await twoInstances();
    const [pa, pb] = [a.app.get(Prices), b.app.get(Prices)];
    await pa.price('p1');
    // A's write tells B; a read B starts before that arrives leaves nothing in B's tier.
    await heard(b, 0);
    expect(await pb.price('p1')).toEqual({ sku: 'p1', version: 1 });
    await pb.price('p1');
    expect(b.cache.stats().localHits).toBe(1);

    let seen = b.cache.stats().invalidationsReceived;
    await pa.reprice('p1', 2);
    await heard(b, seen);
    expect(await pb.price('p1')).toEqual({ sku: 'p1', version: 2 });

    seen = b.cache.stats().invalidationsReceived;
    await a.cache.set('price:p1', { sku: 'p1', version: 3 }, { ttl: '1m' });
    await heard(b, seen);
    expect(await pb.price('p1')).toEqual({ sku: 'p1', version: 3 });

    seen = b.cache.stats().invalidationsReceived;
    await pa.drop('p1');
    await heard(b, seen);
    pb.version = 4;
    expect(await pb.price('p1')).toEqual({ sku: 'p1', version: 4 });

    seen = b.cache.stats().invalidationsReceived;
    await a.cache.delete('price:p1');
    await heard(b, seen);
    pb.version = 5;
    expect(await pb.price('p1')).toEqual({ sku: 'p1', version: 5 });
    expect(a.cache.stats().invalidationsSent).toBeGreaterThanOrEqual(4);
  });

  it('sends the invalidations of concurrent writes together, and every one arrives', async () => {
    const [a, b] = await twoInstances();
    const publishes = async () =>
      Number(
        /calls=(\d+)/.exec(
          (await redis.server.info('commandstats'))['cmdstat_publish'] ?? '',
        )?.[1] ?? 0,
      );
    const before = await publishes();
    const seen = b.cache.stats().invalidationsReceived;
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.cache.set(`batch:${i}`, i)));
    await heard(b, seen, 50);
    // 50 writes whose replies arrive in a few turns of the event loop: a few PUBLISHes, not 50.
    expect((await publishes()) - before).toBeLessThan(10);
  });

  it('drops every entry under a prefix, and the whole namespace, everywhere', async () => {
    const [a, b] = await twoInstances();
    for (const key of ['user:1', 'user:2', 'order:1']) {
      await b.cache.wrap(key, () => `old ${key}`);
      await b.cache.wrap(key, () => 'unused');
    }
    expect(b.cache.stats().localHits).toBe(3);
    let seen = b.cache.stats().invalidationsReceived;
    await a.cache.deletePrefix('user:');
    await heard(b, seen);
    expect(await b.cache.wrap('user:1', () => 'new user:1')).toBe('new user:1');
    expect(await b.cache.wrap('order:1', () => 'unused')).toBe('old order:1');
    seen = b.cache.stats().invalidationsReceived;
    await a.cache.evictNamespace();
    await heard(b, seen);
    expect(await b.cache.wrap('order:1', () => 'new order:1')).toBe('new order:1');
  });

  it('computes a miss once across instances with the lock, local tier on', async () => {
    const [a, b] = await twoInstances({ local: true, lock: true });
    let runs = 0;
    const load = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 100));
      return 'v';
    };
    const results = await Promise.all([
      a.cache.wrap('locked', load),
      b.cache.wrap('locked', load),
      b.cache.wrap('locked', load),
    ]);
    expect(results).toEqual(['v', 'v', 'v']);
    expect(runs).toBe(1);
  });

  it('serves nothing that could have missed an invalidation while its subscriber was killed', async () => {
    const [a, b] = await twoInstances();
    await b.cache.wrap('k', () => 'v1');
    await b.cache.wrap('k', () => 'unused');
    expect(b.cache.stats().localHits).toBe(1);
    await redis.server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // A's message may reach nobody: B's subscriber is gone or reconnecting. Until B notices (its
    // socket's close, within a turn of the event loop) it may still serve v1, as it would before
    // any message arrives; once it has, nothing from before may come back.
    await a.cache.set('k', 'v2');
    const seen: string[] = [];
    await until('the local tier to serve v2 again after the reconnect', async () => {
      seen.push(await b.cache.wrap('k', () => 'unused'));
      return seen.at(-1) === 'v2' && b.cache.stats().localHits > 1;
    });
    expect(seen.slice(seen.indexOf('v2'))).not.toContain('v1');
  });

  it('serves nothing from before a Redis restart', async () => {
    const [, b] = await twoInstances();
    await b.cache.wrap('k', () => 'before');
    expect(await b.cache.wrap('k', () => 'unused')).toBe('before');
    await redis.server.restart();
    // The restarted server kept nothing: no call may answer from what the tier held before.
    const seen: string[] = [];
    await until('the restarted server to answer', async () => {
      seen.push(await b.cache.wrap('k', () => 'after'));
      return b.cache.stats().localHits > 1;
    });
    expect(seen).not.toContain('before');
    expect(await b.cache.wrap('k', () => 'unused')).toBe('after');
  });
});

describe('setup', () => {
  it('says once that the memory store needs no local tier, and caches as before', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    try {
      const a = await boot({ backend: 'memory', cache: { local: true }, providers: [Prices] });
      await a.app.get(Prices).price('p');
      await a.app.get(Prices).price('p');
      expect(a.cache.stats()).toMatchObject({ hits: 1, localHits: 0, storeHits: 1 });
      const lines = log.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('local tier'));
      expect(lines).toEqual([
        expect.stringMatching(/memory store, whose hits already come from process memory/),
      ]);
    } finally {
      log.mockRestore();
    }
  });

  it('refuses local on a call when the module has none', async () => {
    const a = await boot({ backend: 'redis', url: redis.server.url });
    await expect(a.cache.wrap('k', () => 1, { local: true })).rejects.toThrow(
      /asks for the local tier, but KvsCacheModule.forRoot\(\) has no local option/,
    );
  });

  it('rejects a bad local option with the option and the fix', async () => {
    await expect(
      boot({ backend: 'redis', url: redis.server.url, cache: { local: { maxEntries: 0 } } }),
    ).rejects.toThrow(/local.maxEntries: expected a whole number >= 1, got 0/);
    await expect(
      boot({
        backend: 'redis',
        url: redis.server.url,
        cache: { local: { maxEntires: 5 } as never },
      }),
    ).rejects.toThrow(/maxEntires.*maxEntries/);
  });
});

describe('server-assisted invalidation (local.tracking)', () => {
  it('drops an entry that something outside the application changed or deleted', async () => {
    const keyPrefix = uniquePrefix();
    const b = await boot({
      backend: 'redis',
      url: redis.server.url,
      keyPrefix,
      cache: { local: { tracking: true }, timeout: '5s' },
    });
    await b.cache.wrap('k', () => 'v1');
    await b.cache.wrap('k', () => 'unused');
    await b.cache.wrap('k', () => 'unused');
    expect(b.cache.stats().localHits).toBeGreaterThanOrEqual(1);
    const seen = b.cache.stats().invalidationsReceived;
    await redis.server.cli('DEL', `${keyPrefix}cache:k`);
    await heard(b, seen);
    expect(await b.cache.wrap('k', () => 'v2')).toBe('v2');
  });

  it('fails startup with the fix when Redis refuses CLIENT TRACKING', async () => {
    const url = await urlOfUserWithout(redis.server, 'cachenotrack', 'client|tracking');
    await expect(
      boot({
        backend: 'redis',
        storeOptions: { type: 'redis', url },
        cache: { local: { tracking: true } },
      }),
    ).rejects.toMatchObject({
      code: 'KVS_BACKEND',
      message: expect.stringMatching(/refused CLIENT TRACKING.*turn local.tracking off/),
    });
  });
});
