/**
 * Across app instances and over time: `lock` (two Nest apps in this process sharing one
 * redis-server compute a miss once) and stale-while-revalidate (driven by an injected clock).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import {
  BACKENDS,
  boot,
  closeApps,
  deferred,
  manualClock,
  recordingLogger,
  uniquePrefix,
  until,
  type Backend,
  type Booted,
} from './cache.fixtures.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(() => closeApps());
afterAll(() => stopAll(), 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class Reports {
  runs = 0;
  delayMs = 300;
  fail = false;

  @Cacheable({ key: 'report', lock: true })
  async build(): Promise<{ rows: number[] }> {
    this.runs++;
    await sleep(this.delayMs);
    if (this.fail) throw new Error('report failed');
    return { rows: [1, 2, 3] };
  }

  @Cacheable({ key: 'report-unlocked' })
  async buildUnlocked(): Promise<{ rows: number[] }> {
    this.runs++;
    await sleep(this.delayMs);
    return { rows: [1, 2, 3] };
  }
}

describe('lock: two app instances sharing Redis', () => {
  async function twoApps(cache = {}): Promise<[Booted, Booted]> {
    const keyPrefix = uniquePrefix();
    const options = {
      backend: 'redis' as const,
      url: server.url,
      keyPrefix,
      providers: [Reports],
      cache,
    };
    return [await boot(options), await boot(options)];
  }
  const reports = (b: Booted) => b.app.get(Reports);

  it('computes a miss once across both apps; the other app waits for the value', async () => {
    const [a, b] = await twoApps();
    const calls = [a, b].flatMap((app) => Array.from({ length: 20 }, () => reports(app).build()));
    const results = await Promise.all(calls);
    expect(reports(a).runs + reports(b).runs).toBe(1);
    for (const r of results) expect(r).toEqual({ rows: [1, 2, 3] });
    expect(await a.store.list()).toEqual(['cache:report']);
  });

  it('without lock, each app computes once (single-flight is per process)', async () => {
    const [a, b] = await twoApps();
    const calls = [a, b].flatMap((app) =>
      Array.from({ length: 20 }, () => reports(app).buildUnlocked()),
    );
    await Promise.all(calls);
    expect(reports(a).runs).toBe(1);
    expect(reports(b).runs).toBe(1);
  });

  it('when the lock holder fails, its callers get the error and a waiter computes', async () => {
    const [a, b] = await twoApps();
    reports(a).fail = true;
    const first = reports(a)
      .build()
      .catch((err: unknown) => err);
    await sleep(50);
    const second = reports(b).build();
    expect(await first).toEqual(new Error('report failed'));
    expect(await second).toEqual({ rows: [1, 2, 3] });
    expect(reports(b).runs).toBe(1);
  });

  it('a waiter computes by itself once lockWait has passed', async () => {
    const [a, b] = await twoApps({ lockWait: 200 });
    reports(a).delayMs = 3_000;
    const slow = reports(a).build();
    await sleep(50);
    const started = Date.now();
    reports(b).delayMs = 10;
    expect(await reports(b).build()).toEqual({ rows: [1, 2, 3] });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(reports(b).runs).toBe(1);
    await slow;
  });
});

@Injectable()
class Prices {
  version = 0;
  gate: Promise<void> | undefined;
  fail = false;

  @Cacheable({ key: 'price', ttl: 1_000, staleTtl: 60_000 })
  async current(): Promise<number> {
    const version = ++this.version;
    await this.gate;
    if (this.fail) throw new Error('pricing down');
    return version;
  }

  @Cacheable({ key: 'price-locked', ttl: 1_000, staleTtl: 60_000, lock: true })
  async locked(): Promise<number> {
    const version = ++this.version;
    await this.gate;
    return version;
  }
}

describe.each(BACKENDS)('stale-while-revalidate (%s)', (backend: Backend) => {
  it('serves the stale entry to every caller while one background call refreshes it', async () => {
    const clock = manualClock();
    const { app, cache, store } = await boot({
      backend,
      url: server.url,
      providers: [Prices],
      cache: { clock: clock.now },
    });
    const prices = app.get(Prices);
    expect(await prices.current()).toBe(1);
    const hardTtl = await store.ttl('cache:price');
    expect(hardTtl).toBeGreaterThan(59_000);
    expect(hardTtl).toBeLessThanOrEqual(61_000);
    clock.advance(999);
    expect(await prices.current()).toBe(1);

    clock.advance(2);
    const gate = deferred();
    prices.gate = gate.promise;
    const stale = await Promise.all(Array.from({ length: 10 }, () => prices.current()));
    expect(stale).toEqual(Array(10).fill(1));
    expect(await prices.current()).toBe(1);
    expect(prices.version).toBe(2);
    gate.resolve();
    await until(() => cache.stats().writes === 2);
    expect(await prices.current()).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 2, stale: 11, misses: 1, loads: 2 });
  });

  it('keeps serving the stale entry when the refresh fails, and logs it', async () => {
    const clock = manualClock();
    const logger = recordingLogger();
    const { app, cache } = await boot({
      backend,
      url: server.url,
      providers: [Prices],
      cache: { clock: clock.now, logger },
    });
    const prices = app.get(Prices);
    await prices.current();
    clock.advance(5_000);
    prices.fail = true;
    expect(await prices.current()).toBe(1);
    await until(() => logger.lines.length === 1);
    expect(logger.lines[0]).toMatch(/Background refresh of Prices.current failed.*pricing down/);
    expect(await prices.current()).toBe(1);
    await until(() => cache.stats().loads === 3);
    expect(cache.stats().stale).toBe(2);
  });
});

describe('stale-while-revalidate with lock across apps', () => {
  it('refreshes once across both apps', async () => {
    const clock = manualClock();
    const keyPrefix = uniquePrefix();
    const options = {
      backend: 'redis' as const,
      url: server.url,
      keyPrefix,
      providers: [Prices],
      cache: { clock: clock.now },
    };
    const a = await boot(options);
    const b = await boot(options);
    expect(await a.app.get(Prices).locked()).toBe(1);
    clock.advance(1_500);
    const gate = deferred();
    a.app.get(Prices).gate = gate.promise;
    b.app.get(Prices).gate = gate.promise;
    expect(await a.app.get(Prices).locked()).toBe(1);
    expect(await b.app.get(Prices).locked()).toBe(1);
    gate.resolve();
    await until(() => a.cache.stats().writes + b.cache.stats().writes === 2);
    await sleep(50);
    expect(a.app.get(Prices).version + b.app.get(Prices).version).toBe(2);
  });
});

describe('hard expiry on Redis (real time)', () => {
  it('drops the entry ttl + staleTtl after it was written', async () => {
    const { cache } = await boot({ backend: 'redis', url: server.url });
    await cache.set('short', 'v', { ttl: 100, staleTtl: 200 });
    expect(await cache.get('short')).toBe('v');
    await sleep(1_200);
    expect(await cache.lookup('short')).toBeUndefined();
  });
});
