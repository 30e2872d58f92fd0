/**
 * `ttl` chosen from the result (`@Cacheable`, `@CachePut`, `wrap`, `set`), on memory and Redis,
 * and the checks of the grace and timeout options.
 */
import { describe, expect, it } from '@jest/globals';
import { Injectable, type Provider } from '@nestjs/common';
import {
  Cacheable,
  CacheEvict,
  CachePut,
  KvsCacheModule,
  KvsInvalidArgumentError,
} from '../../../lib/index.js';
import { rejected, thrown } from '../../support/thrown.js';
import { BACKENDS, boot, manualClock, until, type Backend } from '../cache.fixtures.js';
import { useServers } from './grace.fixtures.js';

const { server } = useServers();

const db = { results: new Map<string, string[]>() };

// readme: ttl-from-result
@Injectable()
class Search {
  // An empty result is cached for 10 s only, a real one for an hour.
  @Cacheable({
    key: (q: string) => `search:${q}`,
    ttl: (hits: string[]) => (hits.length === 0 ? '10s' : '1h'),
  })
  async find(q: string): Promise<string[]> {
    return db.results.get(q) ?? [];
  }

  // The method's arguments follow the result: a draft stays a minute, a published page a day.
  @CachePut({
    key: (id: string, _draft: boolean) => `page:${id}`,
    ttl: (_html: string, _id: string, draft: boolean) => (draft ? '1m' : '1d'),
  })
  async save(id: string, draft: boolean): Promise<string> {
    return `<h1>${id}</h1>${draft ? ' (draft)' : ''}`;
  }
}
// readme: end

@Injectable()
class Broken {
  @Cacheable({ key: 'broken', ttl: () => Number.NaN })
  async load(): Promise<number> {
    return 7;
  }
}

describe.each(BACKENDS)('ttl from the result (%s)', (backend: Backend) => {
  const start = (providers: Provider[] = [Search], cache = {}) =>
    boot({ backend, url: server().url, providers, cache });

  it('@Cacheable: the ttl function sees the result', async () => {
    const { app, store } = await start();
    db.results.set('cats', ['felix']);
    expect(await app.get(Search).find('cats')).toEqual(['felix']);
    expect(await app.get(Search).find('dogs')).toEqual([]);
    const long = (await store.ttl('cache:search:cats'))!;
    const short = (await store.ttl('cache:search:dogs'))!;
    expect(long).toBeGreaterThan(3_500_000);
    expect(short).toBeGreaterThan(5_000);
    expect(short).toBeLessThanOrEqual(10_000);
  });

  it('@CachePut: the ttl function also gets the arguments', async () => {
    const { app, store } = await start();
    await app.get(Search).save('home', true);
    await app.get(Search).save('about', false);
    const draft = (await store.ttl('cache:page:home'))!;
    expect(draft).toBeGreaterThan(50_000);
    expect(draft).toBeLessThanOrEqual(60_000);
    expect((await store.ttl('cache:page:about'))!).toBeGreaterThan(86_000_000);
  });

  it('wrap() and set(): staleTtl adds to the chosen ttl; the entry is fresh for that ttl', async () => {
    const clock = manualClock();
    const { cache, store } = await start([], { clock: clock.now });
    // readme: ttl-from-result-wrap
    const rates = await cache.wrap('rates', async () => ({ eur: 1.08, ttl: 30_000 }), {
      ttl: (result) => result.ttl, // e.g. what the upstream's Cache-Control said
      staleTtl: '1m',
    });
    await cache.set('token', { value: 'abc', expiresIn: 5_000 }, { ttl: (t) => t.expiresIn });
    // readme: end
    expect(rates.eur).toBe(1.08);
    const ratesTtl = (await store.ttl('cache:rates'))!;
    expect(ratesTtl).toBeGreaterThan(80_000);
    expect(ratesTtl).toBeLessThanOrEqual(90_000);
    expect((await store.ttl('cache:token'))!).toBeLessThanOrEqual(5_000);
    clock.advance(30_001);
    await cache.wrap('rates', async () => ({ eur: 2, ttl: 1 }), {
      ttl: (r) => r.ttl,
      staleTtl: '1m',
    });
    expect(cache.stats().stale).toBe(1); // stale after the 30 s the function chose
    await until(() => cache.stats().loads === 2); // the background refresh
  });

  it('a bad ttl result rejects with KvsInvalidArgumentError and stores nothing', async () => {
    const { app, store } = await start([Broken]);
    const err = await rejected(() => app.get(Broken).load());
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect(err.message).toMatch(
      /The ttl function of Broken.load returned NaN; it must return a duration >= 0/,
    );
    expect(await store.list()).toEqual([]);
  });
});

describe('grace and timeout options', () => {
  it('checks them where they are given, naming the option and the fix', () => {
    expect(thrown(() => KvsCacheModule.forRoot({ grace: -1 })).message).toMatch(
      /Invalid KvsCacheModule option grace: expected a duration >= 0/,
    );
    expect(thrown(() => Cacheable({ softTimeout: '2s', hardTimeout: '1s' })).message).toMatch(
      /softTimeout \(2000 ms\) must be shorter than hardTimeout \(1000 ms\)/,
    );
    expect(thrown(() => Cacheable({ ttl: 0, grace: '1m' })).message).toMatch(
      /Invalid @Cacheable\(\) options: grace 60000 needs a ttl > 0/,
    );
    expect(thrown(() => Cacheable({ hardTimeout: '30d' })).message).toMatch(
      /option hardTimeout: .* longer than a timer can wait/,
    );
    expect(thrown(() => CachePut({ key: 'k', softTimeout: 5 } as never)).message).toMatch(
      /Unknown option 'softTimeout' in the @CachePut\(\) options/,
    );
    expect(thrown(() => CacheEvict({ key: 'k', grace: 5 } as never)).message).toMatch(
      /Unknown option 'grace' in the @CacheEvict\(\) options/,
    );
    expect(thrown(() => KvsCacheModule.forRoot({ ttl: (() => 5) as never })).message).toMatch(
      /Invalid KvsCacheModule option ttl: expected a duration/,
    );
  });
});
