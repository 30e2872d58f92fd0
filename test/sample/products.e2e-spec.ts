/**
 * The sample's products over HTTP, on memory and on a redis-server: batch reads sharing the
 * single reads' entries, tags dropped by an update and by a category discount, an unknown id
 * remembered for 5 s (a ttl from the result), and graced entries answering during an outage.
 * The cache's clock is injected; only the outage's softTimeout runs in real time.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KvsModuleOptions } from '../../lib/index.js';
import { ProductsService, type Product } from '../../sample/products/products.service.js';
import { manualClock } from '../cache/cache.fixtures.js';
import { useRedisServer } from '../support/backends.js';
import { bootSample, closeSamples } from './sample.fixtures.js';

const redis = useRedisServer();
afterEach(() => closeSamples());

let prefixes = 0;
const backends: [string, () => KvsModuleOptions][] = [
  ['memory', () => ({ type: 'memory' })],
  ['Redis', () => ({ type: 'redis', url: redis.server.url, keyPrefix: `products-${++prefixes}:` })],
];

const cup: Product = { id: '1', name: 'Espresso cup', category: 'cups', priceCents: 1200 };
const kettle: Product = {
  id: '2',
  name: 'Pour-over kettle',
  category: 'brewing',
  priceCents: 4900,
};
const grinder: Product = { id: '3', name: 'Burr grinder', category: 'brewing', priceCents: 12900 };

describe.each(backends)('the sample products on %s', (_name, store) => {
  it('reads a batch in the ids order, loading only the ids not cached, in one catalog read', async () => {
    const clock = manualClock();
    const { app, http } = await bootSample(store(), { clock: clock.now });
    const catalog = app.get(ProductsService);
    await http().get('/products?ids=1,3').expect(200, [cup, grinder]);
    await http().get('/products/1').expect(200, cup); // the batch's entry
    await http().get('/products?ids=3,2,1,9').expect(200, [grinder, kettle, cup, null]);
    expect(catalog.queries).toEqual([
      ['1', '3'],
      ['2', '9'],
    ]);

    // An unknown id is remembered for 5 s: a 404 without a catalog read, then asked again.
    await http().get('/products/9').expect(404, {
      statusCode: 404,
      message: 'No product "9"',
      error: 'Not Found',
    });
    expect(catalog.reads).toBe(2);
    clock.advance(5_001);
    await http().get('/products/9').expect(404);
    await http().get('/products?ids=9,2').expect(200, [null, kettle]);
    expect(catalog.queries.slice(2)).toEqual([['9']]);

    for (const bad of ['', '?ids=', '?ids=1,,2', '?ids=1&ids=2', `?ids=${'1,'.repeat(100)}1`]) {
      const res = await http().get(`/products${bad}`).expect(400);
      expect((res.body as { message: string }).message).toMatch(
        /^ids must be 1 to 100 product ids/,
      );
    }
    expect(catalog.reads).toBe(3);
  });

  it('drops a product by its tag on update, and a whole category in one discount', async () => {
    const { app, http } = await bootSample(store());
    const catalog = app.get(ProductsService);
    await http().get('/products/2').expect(200, kettle);
    await http().get('/products?ids=1,3').expect(200, [cup, grinder]);

    await http().put('/products/2').send({ priceCents: 4500 }).expect(200);
    await http()
      .get('/products?ids=2,3')
      .expect(200, [{ ...kettle, priceCents: 4500 }, grinder]);
    expect(catalog.queries.slice(2)).toEqual([['2']]); // only the updated product was read again

    const discounted = [
      { ...kettle, priceCents: 4050 },
      { ...grinder, priceCents: 11610 },
    ];
    await http().post('/categories/brewing/discount').send({ percent: 10 }).expect(200, discounted);
    await http()
      .get('/products?ids=1,2,3')
      .expect(200, [cup, ...discounted]);
    await http().get('/products/3').expect(200, discounted[1]);
    expect(catalog.queries.slice(3)).toEqual([['2', '3']]); // the cups were not dropped

    await http().post('/categories/brewing/discount').send({ percent: 0 }).expect(400);
    await http().post('/categories/brewing/discount').send({ percent: '10' }).expect(400);
    await http().post('/categories/tea/discount').send({ percent: 10 }).expect(404);
    const stats = await http().get('/products/stats').expect(200);
    expect(stats.body).toMatchObject({ catalogReads: 4, cache: { tagInvalidations: 2 } });
  });

  it('answers from graced entries while the catalog is down, and from the catalog after', async () => {
    const clock = manualClock();
    // Outage reads hang 10 x 100 ms, longer than the 500 ms softTimeout of the product reads.
    const { app, http } = await bootSample(store(), { clock: clock.now, catalogDelayMs: 100 });
    const catalog = app.get(ProductsService);
    await http().get('/products/1').expect(200, cup);
    await http().get('/products?ids=2').expect(200, [kettle]);

    await http().post('/catalog/outage').expect(200, { outage: true });
    await http().get('/products/1').expect(200, cup); // fresh: a hit, the catalog is not asked
    expect(catalog.reads).toBe(2);

    clock.advance(30_001); // past the 30 s ttl: graced entries, kept for 10 min more
    await http().get('/products/1').expect(200, cup); // at the softTimeout, the catalog hanging
    await http().get('/products/1').expect(200, cup); // joins that read, or its backoff
    const { cache } = (await http().get('/products/stats').expect(200)).body as {
      cache: { graced: number; timeouts: number };
    };
    expect(cache.graced).toBe(2);
    expect(cache.timeouts).toBeGreaterThanOrEqual(1); // the first one answered at the softTimeout
    const down = { statusCode: 503, message: 'The catalog is unavailable.' };
    // 2 has a graced entry, 3 does not: the batch fails as the catalog does.
    expect((await http().get('/products?ids=2,3').expect(503)).body).toMatchObject(down);
    await http().put('/products/1').send({ priceCents: 990 }).expect(503);

    await http().post('/catalog/outage').expect(200, { outage: false });
    clock.advance(5_001); // past the backoff (5 s) that the failed read started
    await http().get('/products/1').expect(200, cup);
    await http().get('/products/1').expect(200, cup);
    expect(catalog.queries).toEqual([['1'], ['2'], ['1'], ['2', '3'], ['1']]);
  }, 30_000);
});
