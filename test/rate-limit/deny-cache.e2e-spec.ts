/**
 * The deny cache on a real redis-server: a one-key flood costs at most one store command per 100
 * refused requests, the cached Retry-After is the store's, and a reset, refund or lockout on one
 * instance clears the other instances' caches over the store's channel. Then the cache on its
 * own, with channels that go down, and without a channel.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { RateLimiter, type KvsStore, type RateLimitPolicy } from '../../lib/index.js';
import type { KvsChannelHandler } from '../../lib/store/kvs.channel.js';
import { DenyCache } from '../../lib/rate-limit/rate-limit.deny-cache.js';
import { resolvePolicy } from '../../lib/rate-limit/rate-limit.policy.js';
import { useRedisServer } from '../support/backends.js';
import { parseInfo, waitUntil } from '../support/redis-servers.js';

const redis = useRedisServer();
const policy: RateLimitPolicy = {
  name: 'flood',
  limit: 5,
  window: '1m',
  algorithm: 'fixed-window',
};

/** Commands the server ran, by name, from INFO commandstats. */
async function commands(): Promise<Record<string, number>> {
  const stats = parseInfo(await redis.server.cli('INFO', 'commandstats'));
  const calls: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats)) {
    const m = /^cmdstat_(.+)$/.exec(name);
    if (m !== null) calls[m[1]!] = Number(/calls=(\d+)/.exec(value)![1]);
  }
  return calls;
}
/** Decision commands (scripts) run since `before`. */
const scriptsSince = async (before: Record<string, number>) => {
  const now = await commands();
  return (now.evalsha ?? 0) + (now.eval ?? 0) - (before.evalsha ?? 0) - (before.eval ?? 0);
};

/** A limiter on its own store (an app instance), with its deny cache listening. */
async function instance(key: string, options: { denyCache?: boolean } = {}) {
  const store = await redis.redisStore({ keyPrefix: 'app:' });
  const limiter = new RateLimiter({ store, ...options });
  for (let i = 0; i < 5; i++) await limiter.consume(key, policy);
  if (options.denyCache !== false) {
    await waitUntil(
      'the deny cache listening',
      async () => {
        const before = await commands();
        await limiter.consume(key, policy);
        return (await scriptsSince(before)) === 0;
      },
      { timeoutMs: 5000, intervalMs: 20 },
    );
  }
  return limiter;
}

describe('the deny cache on Redis', () => {
  beforeEach(() => redis.flush());

  it('refuses a one-key flood in process: at most 1 store command per 100 refused requests', async () => {
    const limiter = await instance('flooder');
    const before = await commands();
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, () => limiter.consume('flooder', policy)),
      );
      refused += batch.filter((d) => !d.allowed).length;
    }
    expect(refused).toBe(2000);
    expect(await scriptsSince(before)).toBeLessThanOrEqual(20); // 0 when run: the window is a minute
  });

  it('is off with denyCache: false: every refusal asks the store', async () => {
    const limiter = await instance('flooder', { denyCache: false });
    const before = await commands();
    for (let i = 0; i < 50; i++)
      expect((await limiter.consume('flooder', policy)).allowed).toBe(false);
    expect(await scriptsSince(before)).toBe(50);
  });

  it("answers the store's Retry-After, counted down", async () => {
    const limiter = await instance('flooder');
    const cached = await limiter.consume('flooder', policy);
    const answered = performance.now();
    const stored = await limiter.peek('flooder', policy);
    const peeked = Math.ceil(performance.now() - answered);
    expect(cached.allowed).toBe(false);
    // The cache counts from when the request was sent: not later than the store (but for the
    // store's own rounding up to a whole ms, and the time that passed before the peek ran),
    // earlier by at most the round trip.
    expect(stored.retryAfterMs - cached.retryAfterMs).toBeGreaterThanOrEqual(-1 - peeked);
    expect(stored.retryAfterMs - cached.retryAfterMs).toBeLessThan(250);
    expect(cached.policies[0]).toMatchObject({ name: 'flood', allowed: false, remaining: 0 });
  });

  it.each<
    [
      string,
      (a: RateLimiter) => Promise<void>,
      (d: { allowed: boolean; retryAfterMs: number }) => boolean,
    ]
  >([
    ['reset', (a) => a.reset('shared', policy), (d) => d.allowed],
    ['refund', (a) => a.refund('shared', policy, 2), (d) => d.allowed],
    ['block', (a) => a.block('shared', '10m'), (d) => d.retryAfterMs > 590_000],
  ])('a %s on one instance clears the deny cache of the others', async (_op, change, cleared) => {
    const a = await instance('shared');
    const b = await instance('shared');
    expect(await b.consume('shared', policy)).toMatchObject({ allowed: false });
    const before = await commands();
    for (let i = 0; i < 20; i++) await b.consume('shared', policy);
    expect(await scriptsSince(before)).toBe(0); // b answers from its cache
    await change(a);
    await waitUntil('b hears it', async () => cleared(await b.consume('shared', policy)), {
      timeoutMs: 5000,
      intervalMs: 20,
    });
  });
});

describe('the deny cache on its own', () => {
  const requests = [
    { key: 'rl:{k}:p:f', blockKey: 'rl:{k}:blocked', policy: resolvePolicy(policy), cost: 1 },
  ];
  const refusal = {
    allowed: false,
    limit: 5,
    remaining: 0,
    resetMs: 60_000,
    retryAfterMs: 60_000,
    policy: 'flood',
    policies: [],
  };
  /** A store whose channel the test drives (a store of one's own may have one too). */
  function storeWithChannel() {
    const sub = { up: true, handler: undefined as KvsChannelHandler | undefined };
    const store = {
      backend: 'custom',
      channel: {
        subscribe(handler: KvsChannelHandler) {
          sub.handler = handler;
          return {
            get up() {
              return sub.up;
            },
            ready: Promise.resolve(),
            publish: async () => true,
            track: async () => undefined,
            close: () => undefined,
          };
        },
      },
    } as unknown as KvsStore;
    return { store, sub };
  }

  it('is emptied and unused while the channel is down, and used again once it is up', () => {
    const { store, sub } = storeWithChannel();
    const now = { t: 1000 };
    const cache = new DenyCache(store, () => now.t);
    const sig = cache.signature(requests);
    cache.remember(requests, sig, refusal, 1000);
    now.t += 10_000;
    expect(cache.lookup(requests, sig)?.retryAfterMs).toBe(50_000);
    sub.up = false;
    sub.handler!.state(false);
    expect(cache.lookup(requests, sig)).toBeUndefined();
    cache.remember(requests, sig, refusal, now.t);
    sub.up = true;
    sub.handler!.state(true);
    expect(cache.lookup(requests, sig)).toBeUndefined(); // nothing was kept while down
    cache.remember(requests, sig, refusal, now.t);
    sub.handler!.message('ratelimit', { clear: ['rl:{k}:blocked'] });
    expect(cache.lookup(requests, sig)).toBeUndefined();
  });

  it('without a channel, works for this instance alone', async () => {
    const cache = new DenyCache({ backend: 'custom' } as unknown as KvsStore, () => 0);
    const sig = cache.signature(requests);
    cache.remember(requests, sig, refusal, 0);
    expect(cache.lookup(requests, sig)?.retryAfterMs).toBe(60_000);
    await cache.clearEverywhere(['rl:{k}:blocked']);
    expect(cache.lookup(requests, sig)).toBeUndefined();
  });
});
