/**
 * nestjs-kvs/keyv between Keyv 5 and Keyv 6 (installed as `keyv6`): one adapter claimed by two
 * majors, an upgrade, and what both majors must agree on: long keys and `useKeyPrefix: false`.
 * keyv.e2e-spec.ts runs the adapter's everyday behaviour on both majors. Over the memory store
 * and a redis-server this suite starts.
 */
import { describe, expect, it } from '@jest/globals';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Module, Req, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import { Keyv } from 'keyv';
import { Keyv as Keyv6 } from 'keyv6';
import request from 'supertest';
import { createMemoryStore, KVS_STORE, KvsModule } from '../../lib/index.js';
import type { KvsStore } from '../../lib/index.js';
import { KvsKeyvAdapter } from '../../lib/adapters/keyv/index.js';
import { useRedisServer } from '../support/backends.js';
import { keyvBackends, keyvMajors } from './keyv/keyv.support.js';

const redis = useRedisServer();
const backends = keyvBackends(redis);
describe.each(backends)('KvsKeyvAdapter between Keyv 5 and Keyv 6 (%s)', (_name, backend) => {
  const keyv = (store: KvsStore, namespace?: string) =>
    new Keyv6({ store: new KvsKeyvAdapter(store), namespace });

  it('reads what Keyv 5 wrote through the same store (an upgrade keeps the cache)', async () => {
    const { store } = await backend();
    await new Keyv({ store: new KvsKeyvAdapter(store), namespace: 'cache' }).set('k', { v: 5 });
    expect(await keyv(store, 'cache').get('k')).toEqual({ v: 5 });
  });

  it('refuses an adapter that a Keyv 5 already uses, and a relative TTL under { keyv: 6 }', async () => {
    const { store } = await backend();
    const shared = new KvsKeyvAdapter(store);
    new Keyv({ store: shared });
    expect(() => new Keyv6({ store: shared })).toThrow(/already serves a Keyv 5.*its own adapter/);
    const six = new Keyv({ store: new KvsKeyvAdapter(store, { keyv: 6 }), throwOnErrors: true });
    await expect(six.set('k', 'v', 60_000)).rejects.toThrow(/relative TTL.*keyv: 5/);
    await expect(new KvsKeyvAdapter(store).get('k')).rejects.toThrow(/\{ keyv: 6 \}/);
    expect(() => new KvsKeyvAdapter(store, { keyv: 7 as 6 })).toThrow(/keyv option: expected 5, 6/);
  });
});

describe.each(keyvMajors)('%s and the adapter’s edge cases', (_major, make) => {
  it.each(backends)(
    'stores a key longer than the store allows under a digest (%s)',
    async (_b, backend) => {
      const { store } = await backend();
      const cache = make(store, { namespace: 'ns' });
      const long = `/search?q=${'x'.repeat(10_000)}`;
      expect(await cache.set(long, 'long')).toBe(true);
      expect(await cache.set(`${long}y`, 'longer')).toBe(true);
      expect(await cache.get(long)).toBe('long');
      expect(await cache.get(`${long}y`)).toBe('longer');
      const keys = await store.list('keyv:ns:');
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(key).toMatch(/^keyv:ns:\/search\?q=x{190}:#[\w-]{43}$/);
      // A short key that looks like a digest is digested too, so it cannot stand in for `long`.
      const lookalike = keys[0]!.slice('keyv:ns:'.length);
      await cache.set(lookalike, 'lookalike');
      expect(await cache.get(long)).toBe('long');
      expect(await cache.get(`${long}y`)).toBe('longer');
      expect(await cache.get(lookalike)).toBe('lookalike');
      const iterated: string[] = [];
      for await (const [key] of cache.iterator!(undefined)) iterated.push(key as string);
      expect(iterated.map((key) => key.replace(/x+/, 'x…'))).toEqual(
        expect.arrayContaining(['/search?q=x…:#' + lookalike.slice(-43)]),
      );
      expect(await cache.delete(long)).toBe(true);
      await cache.clear();
      expect(await store.list()).toEqual([]);
    },
  );

  it('keeps namespaces apart, or refuses, under useKeyPrefix: false', async () => {
    const store = createMemoryStore();
    const one = make(store, { namespace: 'one', useKeyPrefix: false });
    const two = make(store, { namespace: 'two', useKeyPrefix: false });
    const stored = await one.set('foo', 'from one').catch((err: Error) => err);
    if (stored instanceof Error) {
      // Keyv 5 leaves the namespace to the adapter only in name: refused, naming the fix.
      expect(stored.message).toMatch(/useKeyPrefix: false.*Remove useKeyPrefix: false/);
      expect(await store.list()).toEqual([]);
      return;
    }
    await two.set('foo', 'from two');
    expect(await one.get('foo')).toBe('from one');
    await one.clear();
    expect(await two.get('foo')).toBe('from two');
    expect(await store.list()).toEqual(['keyv:two:foo']);
  });
});

@Controller()
@UseInterceptors(CacheInterceptor)
class SearchController {
  calls = 0;

  @Get('search')
  search(@Req() req: Request) {
    this.calls++;
    return { length: req.url.length };
  }
}

describe.each(keyvMajors)('@nestjs/cache-manager on %s caches a URL over 8 KiB', (_major, make) => {
  it.each(redis.moduleOptions({ keyPrefix: 'app:' }))('%s', async (_name, backendOf) => {
    @Module({
      imports: [
        KvsModule.forRoot({ ...backendOf(), isGlobal: true }),
        CacheModule.registerAsync({
          inject: [KVS_STORE],
          useFactory: (store: KvsStore) => ({ stores: [make(store, { namespace: 'cache' })] }),
        }),
      ],
      controllers: [SearchController],
    })
    class AppModule {}
    const app = (
      await Test.createTestingModule({ imports: [AppModule] }).compile()
    ).createNestApplication();
    redis.closeAfterTest(app);
    await app.init();
    const url = `/search?q=${'x'.repeat(9_000)}`;
    await request(app.getHttpServer()).get(url).expect(200, { length: url.length });
    await request(app.getHttpServer()).get(url).expect(200, { length: url.length });
    expect(app.get(SearchController).calls).toBe(1);
  });
});
