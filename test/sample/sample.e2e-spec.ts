/**
 * The sample app over HTTP, route by route, on memory, on a redis-server and on a Redis Cluster
 * this suite starts: the store, caching, rate limiting, sessions, feature flags and OAuth state.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FeatureFlags, KVS_STORE, type KvsModuleOptions, type KvsStore } from '../../lib/index.js';
import { SAMPLE_FLAGS } from '../../sample/flags/sample.flags.js';
import { ProductsService } from '../../sample/products/products.service.js';
import {
  startCluster,
  startRedis,
  stopAll,
  waitUntil,
  type RedisCluster,
  type RedisServer,
} from '../support/redis-servers.js';
import { bootSample, closeSamples, REFRESH_MS, sessionCookie } from './sample.fixtures.js';

let server: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startCluster()]);
}, 60_000);
afterEach(() => closeSamples());
afterAll(() => stopAll(), 30_000);

let prefixes = 0;
/** A key prefix no other test uses, so tests sharing a server never see each other's keys. */
const prefix = () => `sample-${++prefixes}:`;

/** Each backend, as a function giving fresh store options (a new prefix on Redis). */
const backends: [string, () => KvsModuleOptions][] = [
  ['memory', () => ({ type: 'memory' })],
  ['Redis', () => ({ type: 'redis', url: server.url, keyPrefix: prefix() })],
  [
    'a Redis Cluster',
    () => ({ type: 'redis', cluster: { nodes: cluster.urls }, keyPrefix: prefix() }),
  ],
];

describe.each(backends)('the sample on %s', (_name, store) => {
  it('stores, reads, lists and deletes keys, and refuses a bad TTL', async () => {
    const { http } = await bootSample(store());
    await http().put('/keys/greeting').send({ value: 'hello', ttlMs: 60_000 }).expect(204);
    const read = await http().get('/keys/greeting').expect(200);
    expect(read.body).toMatchObject({ key: 'greeting', value: 'hello' });
    expect((read.body as { ttlMs: number }).ttlMs).toBeGreaterThan(50_000);
    await http()
      .get('/keys?prefix=gr')
      .expect(200, { keys: ['greeting'] });
    await http().put('/keys/x').send({ value: 'v', ttlMs: -1 }).expect(400);
    await http().delete('/keys/greeting').expect(204);
    await http().get('/keys/greeting').expect(404);
  });

  it('/keys sees only its own keys, not sessions or flags', async () => {
    const { http } = await bootSample(store());
    await http().post('/auth/login').send({ user: 'ann' }).expect(201);
    await http().put('/admin/flags/banner').send({ value: 'sale' }).expect(200);
    await http().get('/keys').expect(200, { keys: [] });
  });

  it('serves a product from the cache after the first read, and evicts it on update', async () => {
    const { app, http } = await bootSample(store());
    const catalog = app.get(ProductsService);
    const espresso = { id: '1', name: 'Espresso cup', category: 'cups', priceCents: 1200 };
    await http().get('/products/1').expect(200, espresso);
    await http().get('/products/1').expect(200, espresso);
    expect(catalog.reads).toBe(1); // the second read never reached the slow catalog
    const stats = await http().get('/products/stats').expect(200);
    expect(stats.body).toMatchObject({ catalogReads: 1, cache: { hits: 1, misses: 1 } });

    await http()
      .put('/products/1')
      .send({ priceCents: 990 })
      .expect(200, { ...espresso, priceCents: 990 });
    await http()
      .get('/products/1')
      .expect(200, { ...espresso, priceCents: 990 });
    expect(catalog.reads).toBe(2); // evicted: read again, then cached again
    await http().get('/products/1').expect(200);
    expect(catalog.reads).toBe(2);

    await http().put('/products/1').send({ priceCents: -5 }).expect(400);
    await http().get('/products/404').expect(404);
    await http().get('/products/404').expect(404);
    expect(catalog.reads).toBe(3); // "no such product" is cached too (for 5 s)

    // A batch shares the entries: one catalog read, for the ids not cached.
    const kettle = { id: '2', name: 'Pour-over kettle', category: 'brewing', priceCents: 4900 };
    await http()
      .get('/products?ids=404,1,2')
      .expect(200, [null, { ...espresso, priceCents: 990 }, kettle]);
    expect(catalog.queries.slice(3)).toEqual([['2']]);
  });

  it('lets 5 requests through in 10 s, with RateLimit headers, then answers 429', async () => {
    const { http } = await bootSample(store());
    for (let remaining = 4; remaining >= 0; remaining--) {
      const res = await http().get('/limited').expect(200, { ok: true });
      expect(res.headers['ratelimit-policy']).toBe('5;w=10');
      expect(res.headers['ratelimit']).toMatch(
        new RegExp(`^limit=5, remaining=${remaining}, reset=\\d+$`),
      );
    }
    const refused = await http().get('/limited').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/^limit=5, remaining=0, reset=\d+$/);
    await http().get('/checkout').expect(200); // other routes are not limited
  });

  it('logs in, tells who is logged in, and logs out', async () => {
    const { http } = await bootSample(store());
    await http().get('/auth/whoami').expect(401);
    await http().post('/auth/login').send({ user: '' }).expect(400);
    const cookie = sessionCookie(
      await http().post('/auth/login').send({ user: 'ann' }).expect(201),
    );
    await http().get('/auth/whoami').set('Cookie', cookie).expect(200, { user: 'ann' });
    await http().post('/auth/logout').set('Cookie', cookie).expect(204);
    await http().get('/auth/whoami').set('Cookie', cookie).expect(401);
  });

  it('logs a user out on every device, and nobody else', async () => {
    const { http } = await bootSample(store());
    const login = async (user: string) =>
      sessionCookie(await http().post('/auth/login').send({ user }).expect(201));
    const [phone, laptop, bob] = [await login('ann'), await login('ann'), await login('bob')];
    await http().post('/auth/logout-everywhere').set('Cookie', phone).expect(201, { destroyed: 2 });
    await http().get('/auth/whoami').set('Cookie', phone).expect(401);
    await http().get('/auth/whoami').set('Cookie', laptop).expect(401);
    await http().get('/auth/whoami').set('Cookie', bob).expect(200, { user: 'bob' });
  });

  it('flips a flag through the admin route, and takes a change from elsewhere over the channel', async () => {
    const { app, http } = await bootSample(store());
    const flow = async () =>
      ((await http().get('/checkout').expect(200)).body as { flow: string }).flow;
    expect(await flow()).toBe('classic');
    await http().put('/admin/flags/newCheckout').send({ value: true }).expect(200);
    expect(await flow()).toBe('one-page'); // this instance sees its own change at once

    // Another instance on the same store turns it off again.
    const elsewhere = new FeatureFlags(app.get<KvsStore>(KVS_STORE), { defaults: SAMPLE_FLAGS });
    expect(await flow()).toBe('one-page');
    await elsewhere.set('newCheckout', false);
    // Heard over the store's channel, long before REFRESH_MS (polling is the fallback).
    await waitUntil('the flip', async () => (await flow()) === 'classic' || undefined, {
      timeoutMs: REFRESH_MS + 5_000,
      intervalMs: 20,
    });

    await http().put('/admin/flags/newCheckout').send({ value: 'yes' }).expect(400);
    await http().put('/admin/flags/nope').send({ value: true }).expect(404);
    await http().put('/admin/flags/banner').send({ value: 'Free shipping' }).expect(200);
    await http().get('/admin/flags').expect(200, { newCheckout: false, banner: 'Free shipping' });
    await http().delete('/admin/flags/banner').expect(204);
    expect((await http().get('/checkout').expect(200)).body).toMatchObject({ banner: '' });
  });

  it('accepts an OAuth state exactly once', async () => {
    const { http } = await bootSample(store());
    const start = await http().get('/oauth/start?returnTo=/cart').expect(302);
    const authorize = new URL(start.headers['location'] as string);
    expect(authorize.origin + authorize.pathname).toBe(
      'http://sample.test/fake-provider/authorize',
    );
    const state = authorize.searchParams.get('state')!;
    expect(state).toMatch(/^[\w-]{43}$/);

    // The fake provider sends the browser back with a code and the same state.
    const back = await http()
      .get(authorize.pathname + authorize.search)
      .expect(302);
    const callback = new URL(back.headers['location'] as string);
    expect(callback.pathname).toBe('/oauth/callback');
    expect(callback.searchParams.get('state')).toBe(state);

    const path = callback.pathname + callback.search;
    await http().get(path).expect(200, { loggedIn: true, returnTo: '/cart' });
    await http().get(path).expect(400); // replayed
  });

  it('lets exactly one of many concurrent callbacks with one state through, and refuses forgeries', async () => {
    const { http } = await bootSample(store());
    const start = await http().get('/oauth/start').expect(302);
    const state = new URL(start.headers['location'] as string).searchParams.get('state')!;
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => http().get(`/oauth/callback?code=c&state=${state}`)),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, ...Array<number>(19).fill(400)]);
    await http()
      .get(`/oauth/callback?code=c&state=${'A'.repeat(43)}`)
      .expect(400);
    await http().get('/oauth/callback?code=c').expect(400);
    await http().get('/oauth/start?returnTo=//evil.example').expect(400);
    await http()
      .get('/fake-provider/authorize?redirect_uri=https://evil.example/cb&state=x')
      .expect(400);
  });
});

describe.each(backends.slice(1))('two sample instances on %s', (_name, store) => {
  it('share sessions, cached responses, rate limits and flags', async () => {
    const options = store();
    const a = await bootSample(options);
    const b = await bootSample(options);

    const cookie = sessionCookie(
      await a.http().post('/auth/login').send({ user: 'ann' }).expect(201),
    );
    await b.http().get('/auth/whoami').set('Cookie', cookie).expect(200, { user: 'ann' });

    await a.http().get('/products/2').expect(200);
    await b.http().get('/products/2').expect(200);
    expect(b.app.get(ProductsService).reads).toBe(0); // b got a's cached response

    for (let i = 0; i < 3; i++) await a.http().get('/limited').expect(200);
    for (let i = 0; i < 2; i++) await b.http().get('/limited').expect(200);
    await a.http().get('/limited').expect(429); // one limit over both instances

    const flow = async () =>
      ((await b.http().get('/checkout').expect(200)).body as { flow: string }).flow;
    expect(await flow()).toBe('classic');
    await a.http().put('/admin/flags/newCheckout').send({ value: true }).expect(200);
    await waitUntil('b sees the flip', async () => (await flow()) === 'one-page' || undefined, {
      timeoutMs: REFRESH_MS + 5_000,
      intervalMs: 20,
    });

    const begun = await a.http().get('/oauth/start').expect(302);
    const state = new URL(begun.headers['location'] as string).searchParams.get('state')!;
    await b.http().get(`/oauth/callback?code=c&state=${state}`).expect(200);
    await a.http().get(`/oauth/callback?code=c&state=${state}`).expect(400);
  });
});

describe('the sample while Redis does not answer', () => {
  it('answers /checkout from flag defaults at once, and a store route 503 with Retry-After', async () => {
    const { http } = await bootSample({ type: 'redis', url: server.url, keyPrefix: prefix() });
    process.kill(server.pid!, 'SIGSTOP');
    try {
      const started = performance.now();
      await http()
        .get('/checkout')
        .expect(200, {
          flow: 'classic',
          steps: ['cart', 'address', 'payment', 'review'],
          banner: '',
        });
      // Both flags within one flags timeout (150 ms), not one commandTimeout (2 s) each.
      expect(performance.now() - started).toBeLessThan(1000);
      const refused = await http().get('/keys/greeting').expect(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
  }, 30_000);
});
