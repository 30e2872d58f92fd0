/**
 * Grace periods, their backoff, and loader timeouts, on memory, a redis-server and a Redis
 * Cluster. Freshness, grace and backoff follow an injected clock; soft and hard timeouts are
 * short real timers (the feature itself), and the tests assert what each call answers.
 */
import { describe, expect, it } from '@jest/globals';
import { KvsCacheTimeoutError, type KvsCacheModuleOptions } from '../../../lib/index.js';
import { rejected } from '../../support/thrown.js';
import {
  boot,
  deferred,
  manualClock,
  recordingLogger,
  uniquePrefix,
  until,
  type Booted,
} from '../cache.fixtures.js';
import { failing, Quotes, redisTarget, useServers, type Target } from './grace.fixtures.js';

const { server, cluster } = useServers(true);

const targets: [string, Target][] = [
  ['memory', () => ({ backend: 'memory' })],
  ['redis', redisTarget(() => ({ type: 'redis', url: server().url }))],
  ['cluster', redisTarget(() => ({ type: 'redis', cluster: { nodes: cluster().startupNodes } }))],
];

describe.each(targets)('grace and loader timeouts (%s)', (name, target) => {
  const clock = manualClock();
  let logger: ReturnType<typeof recordingLogger>;

  /** One app (or several sharing keys with `keyPrefix`) with a primed entry: quote() was 1. */
  async function primed(cache: KvsCacheModuleOptions, keyPrefix = `{${uniquePrefix()}}`) {
    logger = recordingLogger();
    const booted = await boot({
      ...target(keyPrefix),
      memory: { clock: clock.now },
      providers: [Quotes],
      cache: { clock: clock.now, logger, ...cache },
    });
    const quotes = booted.app.get(Quotes);
    quotes.load = async () => 1;
    expect(await quotes.quote()).toBe(1);
    return { ...booted, quotes };
  }

  const calls = ({ hits, stale, misses }: { hits: number; stale: number; misses: number }) =>
    hits + stale + misses;

  it('serves the graced entry when the loader fails after ttl, then backs off', async () => {
    const { quotes, cache } = await primed({ grace: '1h', graceBackoff: '10s' });
    clock.advance(1_001);
    quotes.load = failing();
    expect(await quotes.quote()).toBe(1);
    expect(logger.lines.join('\n')).toMatch(
      /The load of Quotes.quote failed \(Error: quotes down\); its graced entry answers.*10000 ms/,
    );
    // The backoff: answered at once, the loader not called.
    clock.advance(9_000);
    expect(await quotes.quote()).toBe(1);
    expect(quotes.calls).toBe(2);
    // After it, a load again; this one succeeds.
    clock.advance(1_001);
    quotes.load = async () => 2;
    expect(await quotes.quote()).toBe(2);
    expect(quotes.calls).toBe(3);
    const stats = cache.stats();
    expect(stats).toMatchObject({ hits: 0, stale: 2, misses: 2, graced: 2, loads: 3 });
    expect(calls(stats)).toBe(4);
    // Where the answers came from: the two graced ones, read from the store (not the load's).
    expect(stats.localHits + stats.storeHits).toBe(stats.hits + stats.stale);
  });

  it('without grace, the error reaches the caller', async () => {
    const { quotes, cache } = await primed({});
    await cache.delete('quote'); // on Redis the store's own (real-time) TTL ends an entry
    quotes.load = failing();
    expect((await rejected(() => quotes.quote())).message).toBe('quotes down');
  });

  it('a graced entry is not a hit for get() and lookup()', async () => {
    const { cache } = await primed({ grace: '1h' });
    expect(await cache.get('quote')).toBe(1);
    clock.advance(1_001);
    expect(await cache.lookup('quote')).toBeUndefined();
  });

  it('with staleTtl, a failed refresh keeps the stale entry, then grace applies', async () => {
    const { quotes, cache } = await primed({ staleTtl: '1s', grace: '1h' });
    clock.advance(1_500);
    quotes.load = failing();
    expect(await quotes.quote()).toBe(1); // stale: refreshed in the background, which fails
    await until(() => logger.lines.some((l) => l.includes('Background refresh of Quotes.quote')));
    clock.advance(1_000);
    expect(await quotes.quote()).toBe(1); // past staleTtl: graced
    expect(cache.stats()).toMatchObject({ stale: 2, graced: 1, misses: 1 });
  });

  it('softTimeout: answers with the graced entry while the load goes on, then stores it', async () => {
    const { quotes, cache } = await primed({ grace: '1h', softTimeout: 50 });
    clock.advance(1_001);
    const gate = deferred();
    quotes.load = async () => {
      await gate.promise;
      return 2;
    };
    expect(await Promise.all([quotes.quote(), quotes.quote()])).toEqual([1, 1]);
    expect(quotes.calls).toBe(2); // one load for both calls
    expect(cache.stats()).toMatchObject({ timeouts: 2, graced: 2 });
    gate.resolve();
    await until(() => cache.stats().writes === 2);
    expect(await quotes.quote()).toBe(2);
    expect(cache.stats().hits).toBe(1);
  });

  it('hardTimeout without a graced entry rejects with KvsCacheTimeoutError; the load still stores', async () => {
    const { quotes, cache } = await primed({ hardTimeout: 50 });
    await cache.delete('quote');
    const gate = deferred();
    quotes.load = async () => {
      await gate.promise;
      return 2;
    };
    const err = await rejected(() => quotes.quote());
    expect(err).toBeInstanceOf(KvsCacheTimeoutError);
    expect(err).toMatchObject({ code: 'KVS_CACHE_TIMEOUT', label: 'Quotes.quote', timeout: 50 });
    expect(err.message).toMatch(/Quotes.quote did not load "quote" within hardTimeout \(50 ms\)/);
    gate.resolve();
    await until(() => cache.stats().writes === 2);
    expect(await quotes.quote()).toBe(2);
    expect(quotes.calls).toBe(2);
    expect(cache.stats().timeouts).toBe(1);
  });

  it('past its hardTimeout a load takes no new callers: the next call loads again', async () => {
    const { quotes, cache } = await primed({ hardTimeout: 50 });
    await cache.delete('quote');
    const gate = deferred<number>();
    const landed = deferred();
    quotes.load = async () => {
      const value = await gate.promise;
      landed.resolve();
      return value;
    };
    await rejected(() => quotes.quote());
    quotes.load = async () => 3;
    expect(await quotes.quote()).toBe(3);
    expect(quotes.calls).toBe(3);
    // The overdue load lands after the newer one was stored: its older result is not written.
    gate.resolve(2);
    await landed.promise;
    await new Promise<void>((resolve) => setImmediate(resolve)); // its write would be sent by now
    expect(await quotes.quote()).toBe(3);
    expect(cache.stats().writes).toBe(2); // the primed entry and the newer load's
  });

  it('hardTimeout with a graced entry answers with it, and every caller backs off', async () => {
    const { quotes, cache } = await primed({ grace: '1h', hardTimeout: 50, graceBackoff: '10s' });
    clock.advance(1_001);
    const gate = deferred<number>();
    quotes.load = () => gate.promise;
    expect(await quotes.quote()).toBe(1);
    await until(() => cache.stats().writes === 2); // the entry, re-dated for the backoff
    expect(await quotes.quote()).toBe(1);
    expect(quotes.calls).toBe(2); // the detached load is not called again
    gate.resolve(2);
    await until(() => cache.stats().writes === 3); // the slow load lands and is stored
    expect(await quotes.quote()).toBe(2);
    expect(cache.stats()).toMatchObject({ timeouts: 1, graced: 2 });
  });

  if (name === 'memory') return;

  describe('two app instances sharing the store', () => {
    async function pair(
      cache: KvsCacheModuleOptions,
    ): Promise<[Booted & { quotes: Quotes }, Quotes]> {
      const keyPrefix = `{${uniquePrefix()}}`;
      const a = await primed(cache, keyPrefix);
      const b = await boot({
        ...target(keyPrefix),
        providers: [Quotes],
        cache: { clock: clock.now, ...cache },
      });
      return [a, b.app.get(Quotes)];
    }

    it('the backoff is shared: the other instance serves the graced entry without loading', async () => {
      const [a, other] = await pair({ grace: '1h', graceBackoff: '10s' });
      clock.advance(1_001);
      a.quotes.load = failing();
      expect(await a.quotes.quote()).toBe(1);
      other.load = async () => 99;
      expect(await other.quote()).toBe(1);
      expect(other.calls).toBe(0);
    });

    it('with lock, a waiter with a graced entry answers at softTimeout', async () => {
      const [a, other] = await pair({ grace: '1h', softTimeout: 50, lock: true });
      clock.advance(1_001);
      const gate = deferred<number>();
      a.quotes.load = () => gate.promise;
      const holder = a.quotes.quote();
      await until(async () => (await a.store.list()).some((k) => k.includes('lock')));
      other.load = async () => 99;
      expect(await other.quote()).toBe(1);
      expect(other.calls).toBe(0);
      expect(await holder).toBe(1);
      gate.resolve(2);
      await until(() => a.cache.stats().writes === 2);
    });
  });
});
