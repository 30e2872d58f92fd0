/**
 * The cache's options as a new user or plain JavaScript gives them: durations as strings
 * ('30s', '1h') on the module, the decorators and KvsCache.wrap, resolved to milliseconds; unknown
 * keys rejected with a "did you mean"; contradictions rejected with the fix; and a numeric ttl
 * under a second warned about once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Injectable, Logger } from '@nestjs/common';
import {
  Cacheable,
  CacheEvict,
  CachePut,
  isKvsError,
  KvsCacheModule,
  MAX_TTL_MS,
  type KvsCacheModuleOptions,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { BACKENDS, boot, closeApps, type Backend } from './cache.fixtures.js';
import { thrown } from '../support/thrown.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(() => closeApps());
afterAll(() => stopAll(), 30_000);

/** Options as plain JavaScript or a config file would give them. */
const loose = (options: Record<string, unknown>) => options as never;

/** The warnings Nest's Logger receives while `run` runs. */
function warnings(run: () => void): string[] {
  const lines: string[] = [];
  Logger.overrideLogger({ log() {}, error() {}, warn: (m: unknown) => void lines.push(String(m)) });
  try {
    run();
  } finally {
    Logger.overrideLogger(new ConsoleLogger());
  }
  return lines;
}

@Injectable()
class Reports {
  @Cacheable({ key: 'hourly', ttl: '1h' })
  async hourly(): Promise<string> {
    return 'h';
  }

  @Cacheable({ key: 'stale', ttl: '1m', staleTtl: '30s', timeout: '2s' })
  async stale(): Promise<string> {
    return 's';
  }

  @CachePut({ key: 'put', ttl: '1d' })
  async put(): Promise<string> {
    return 'p';
  }

  @CacheEvict({ key: 'hourly', timeout: '1s' })
  async evict(): Promise<void> {}
}

async function bootOn(backend: Backend, cache?: KvsCacheModuleOptions) {
  return boot({ backend, url: server.url, providers: [Reports], cache });
}

/** The store TTL is close to `expected` ms (it counts down while the test runs). */
function near(ttl: number | undefined, expected: number): void {
  expect(ttl).toBeGreaterThan(expected - 60_000);
  expect(ttl).toBeLessThanOrEqual(expected);
}

describe.each(BACKENDS)('duration strings on %s', (backend) => {
  it("decorators: ttl '1h' stores an entry for about 3,600,000 ms; staleTtl adds to it", async () => {
    const { app, store } = await bootOn(backend);
    const reports = app.get(Reports);
    await reports.hourly();
    await reports.stale();
    await reports.put();
    near(await store.ttl('cache:hourly'), 3_600_000);
    near(await store.ttl('cache:stale'), 90_000);
    near(await store.ttl('cache:put'), 86_400_000);
    await reports.evict();
    expect(await store.ttl('cache:hourly')).toBeUndefined();
  });

  it("module: ttl '2h' is the default of every entry", async () => {
    const { cache, store } = await bootOn(backend, { ttl: '2h', timeout: '1s', lockWait: '5s' });
    await cache.wrap('k', () => 1);
    near(await store.ttl('cache:k'), 7_200_000);
  });

  it("KvsCache.wrap and set: ttl '5m' per call", async () => {
    const { cache, store } = await bootOn(backend);
    await cache.wrap('w', () => 1, { ttl: '5m', timeout: '1s' });
    await cache.set('s', 2, { ttl: '10 m' });
    near(await store.ttl('cache:w'), 300_000);
    near(await store.ttl('cache:s'), 600_000);
  });
});

describe('unknown keys', () => {
  it('in the module options: names it and the closest known key', () => {
    const err = thrown(() => KvsCacheModule.forRoot(loose({ tll: 5000 })));
    expect(isKvsError(err, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect(err.message).toMatch(
      /Unknown option 'tll' in the KvsCacheModule options\. Did you mean 'ttl'\?/,
    );
    expect(thrown(() => KvsCacheModule.forRoot(loose({ keyPrefix: 'x:' }))).message).toMatch(
      /'keyPrefix' is an option of KvsModule\.forRoot\(\) \(the store\)/,
    );
    expect(thrown(() => KvsCacheModule.forRoot(loose({ key: 'x' }))).message).toMatch(
      /'key' is an option of @Cacheable\(\), @CachePut\(\), @CacheEvict\(\), not of the KvsCacheModule options/,
    );
  });

  it('in @Cacheable, @CachePut and @CacheEvict options', () => {
    expect(thrown(() => Cacheable(loose({ staleTTL: 5 }))).message).toMatch(
      /Unknown option 'staleTTL' in the @Cacheable\(\) options\. Did you mean 'staleTtl'\?/,
    );
    expect(thrown(() => CachePut(loose({ key: 'k', conditon: () => true }))).message).toMatch(
      /Unknown option 'conditon' in the @CachePut\(\) options\. Did you mean 'condition'\?/,
    );
    expect(thrown(() => CacheEvict(loose({ key: 'k', beforeInvokation: true }))).message).toMatch(
      /Unknown option 'beforeInvokation' in the @CacheEvict\(\) options\. Did you mean 'beforeInvocation'\?/,
    );
    expect(thrown(() => CacheEvict(loose({ key: 'k', ttl: 5000 }))).message).toMatch(
      /'ttl' is an option of .*, not of the @CacheEvict\(\) options/,
    );
    expect(thrown(() => Cacheable(loose({ lockTtl: 5000 }))).message).toMatch(
      /'lockTtl' is an option of the KvsCacheModule options, not of the @Cacheable\(\) options/,
    );
  });

  it('in KvsCache.wrap options and the other KvsCache methods', async () => {
    const { cache } = await bootOn('memory');
    await expect(cache.wrap('k', () => 1, loose({ unles: () => false }))).rejects.toThrow(
      /Unknown option 'unles' in the KvsCache\.wrap\(\) options\. Did you mean 'unless'\?/,
    );
    await expect(cache.get('k', loose({ ttl: 5000 }))).rejects.toThrow(
      /'ttl' is an option of .*, not of the KvsCache\.get\(\) options/,
    );
    await expect(cache.set('k', 1, loose({ lock: true }))).rejects.toThrow(
      /'lock' is an option of .*, not of the KvsCache\.set\(\) options/,
    );
  });
});

describe('bad durations and contradictions', () => {
  it('rejects a duration string it cannot read, without quoting it', () => {
    expect(thrown(() => Cacheable(loose({ ttl: '5 parsecs' }))).message).toMatch(
      /Invalid @Cacheable\(\) option ttl: expected a duration >= 0, as milliseconds \(60000\) or a string such as '30s', '5m', '1h' or '1d', got a string \(9 chars\)/,
    );
    expect(thrown(() => KvsCacheModule.forRoot(loose({ timeout: '0s' }))).message).toMatch(
      /option timeout: expected a duration >= 1/,
    );
  });

  it('rejects a ttl, staleTtl or both together over the store limit (MAX_TTL_MS)', () => {
    expect(thrown(() => Cacheable({ ttl: MAX_TTL_MS + 1 })).message).toMatch(
      /option ttl: .* is longer than the store's limit of 3153600000000 ms \(100 years\)/,
    );
    expect(thrown(() => KvsCacheModule.forRoot({ staleTtl: '36600d' })).message).toMatch(
      /option staleTtl: .* is longer than the store's limit/,
    );
    expect(thrown(() => Cacheable({ ttl: MAX_TTL_MS, staleTtl: '1d' })).message).toMatch(
      /ttl \+ staleTtl .* is longer than the store's limit/,
    );
  });

  it('rejects lock: true with lockWait 0 (every caller would compute anyway)', () => {
    expect(thrown(() => KvsCacheModule.forRoot({ lock: true, lockWait: 0 })).message).toMatch(
      /lock: true with lockWait 0/,
    );
  });

  it('rejects lock on @CachePut, which always runs the method', () => {
    expect(thrown(() => CachePut(loose({ key: 'k', lock: true }))).message).toMatch(
      /'lock' is an option of .*, not of the @CachePut\(\) options/,
    );
  });
});

describe('a numeric ttl under a second', () => {
  it("warns once that it is milliseconds, and not for '60ms', 0 or 1000", () => {
    const lines = warnings(() => {
      Cacheable({ ttl: 60 });
      Cacheable({ ttl: 60, key: 'other' });
      Cacheable({ ttl: '60ms' });
      Cacheable({ ttl: 0 });
      Cacheable({ ttl: 1000 });
    });
    expect(lines).toEqual([
      "A @Cacheable() ttl of 60 (a number) is 60 ms. If you meant seconds, write '60s'; if you meant milliseconds, write '60ms' and this warning goes away.",
    ]);
  });

  it('in the module options, through its logger', () => {
    const lines: string[] = [];
    KvsCacheModule.forRoot({ ttl: 30, logger: { warn: (m) => void lines.push(m) } });
    expect(lines).toEqual([
      "A KvsCacheModule ttl of 30 (a number) is 30 ms. If you meant seconds, write '30s'; if you meant milliseconds, write '30ms' and this warning goes away.",
    ]);
  });
});
