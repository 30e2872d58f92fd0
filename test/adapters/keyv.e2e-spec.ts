/**
 * nestjs-kvs/keyv: Keyv's storage adapter contract, checked through the real Keyv, cache-manager
 * and @nestjs/cache-manager, over the memory store and a redis-server this suite starts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CACHE_MANAGER, CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  UseInterceptors,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import request from 'supertest';
import { createMemoryStore, KVS_STORE, KvsModule, type KvsStore } from '../../lib/index.js';
import { KvsKeyvAdapter } from '../../lib/adapters/keyv/index.js';
import { useRedisServer } from '../support/backends.js';
import { keyvBackends, keyvMajors } from './keyv/keyv.support.js';

const redis = useRedisServer();
const backends = keyvBackends(redis);
const majorsAndBackends = keyvMajors.flatMap(([major, make]) =>
  backends.map(([name, backend]) => [major, name, make, backend] as const),
);

describe.each(majorsAndBackends)('KvsKeyvAdapter on %s (%s)', (major, _name, make, backend) => {
  const keyv = (store: KvsStore, namespace?: string) => make(store, { namespace });

  it('sets and gets values of every JSON type, and Buffers', async () => {
    const { store } = await backend();
    const cache = keyv(store, 'ns');
    const values = [false, null, 0, 'bar', '"\'', { fizz: 'buzz' }, Buffer.from('bytes')];
    for (const [i, value] of values.entries()) {
      expect(await cache.set(`k${i}`, value)).toBe(true);
      expect(await cache.get(`k${i}`)).toEqual(value);
    }
    await cache.set('nested', { buff: Buffer.from('buzz') });
    expect(await cache.get('nested')).toEqual({ buff: Buffer.from('buzz') });
    expect(await cache.get('missing')).toBeUndefined();
    expect(await store.has('keyv:ns:k3')).toBe(true); // <prefix><namespace>:<key>
  });

  it('passes the TTL in ms to the store, which expires the key', async () => {
    const { store, advance } = await backend();
    const cache = keyv(store, 'ns');
    await cache.set('short', 'v', 200);
    await cache.set('forever', 'v');
    const ttl = (await store.ttl('keyv:ns:short'))!;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
    expect(await store.ttl('keyv:ns:forever')).toBe(Infinity);
    await advance(250);
    expect(await store.has('keyv:ns:short')).toBe(false);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('forever')).toBe('v');
  });

  it('keeps namespaces apart: get, delete and clear touch only their own', async () => {
    const { store } = await backend();
    await store.set('sess:abc', Buffer.from('a session'));
    const one = keyv(store, 'one');
    const two = keyv(store, 'two');
    await one.set('foo', 'from one');
    await one.set('bar', 'from one');
    await two.set('foo', 'from two');
    expect(await one.get('foo')).toBe('from one');
    expect(await two.get('foo')).toBe('from two');

    expect(await one.delete('foo')).toBe(true);
    expect(await one.delete('foo')).toBe(false);
    expect(await two.get('foo')).toBe('from two');

    await one.clear();
    expect(await one.get('bar')).toBeUndefined();
    expect(await two.get('foo')).toBe('from two');
    expect(await store.list()).toEqual(['keyv:two:foo', 'sess:abc']);
  });

  it('answers has, and the many-key methods in one call each', async () => {
    const { store } = await backend();
    const cache = keyv(store, 'ns');
    expect(
      await cache.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2, ttl: 60_000 },
      ]),
    ).toEqual([true, true]);
    expect(await store.ttl('keyv:ns:b')).toBeLessThanOrEqual(60_000);
    expect(await cache.getMany(['a', 'missing', 'b'])).toEqual([1, undefined, 2]);
    expect(await cache.get(['a', 'b'])).toEqual([1, 2]);
    expect(await cache.has('a')).toBe(true);
    expect(await cache.has('missing')).toBe(false);
    expect(await cache.hasMany(['a', 'missing'])).toEqual([true, false]);
    // Keyv 5 answers whether any key existed, Keyv 6 whether each one did.
    const v5 = major === 'Keyv 5';
    expect(await cache.deleteMany(['missing'])).toEqual(v5 ? false : [false]);
    expect(await cache.deleteMany(['a', 'b', 'missing'])).toEqual(v5 || [true, true, false]);
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
  });

  it('iterates over its namespace only, skipping expired entries', async () => {
    const { store, advance } = await backend();
    const one = keyv(store, 'one');
    const two = keyv(store, 'two');
    for (let i = 0; i < 450; i++) await one.set(`k:${i}`, i); // several batches; keys with ':'
    await one.set('soon-gone', 'x', 100);
    await two.set('k:0', 'other');
    await advance(150);

    const seen = new Map<string, unknown>();
    for await (const [key, value] of one.iterator!(undefined)) seen.set(key as string, value);
    expect(seen.size).toBe(450);
    expect(seen.get('k:0')).toBe(0);
    expect(seen.get('k:449')).toBe(449);
    expect(seen.has('soon-gone')).toBe(false);
  });

  it('disconnect leaves the store open for its other users', async () => {
    const { store } = await backend();
    const cache = keyv(store, 'ns');
    await cache.disconnect();
    await store.set('still', Buffer.from('open'));
    expect(await store.has('still')).toBe(true);
  });

  it('rejects a value that is not text, naming the fix, through Keyv’s error handling', async () => {
    const { store } = await backend();
    // Keyv 5 turns its serializer off with `serialize: undefined`, Keyv 6 with `serialization: false`.
    const off = { serialize: undefined, serialization: false, throwOnErrors: false };
    const raw = make(store, off as object);
    const errors: unknown[] = [];
    raw.on('error', (err) => errors.push(err));
    expect(await raw.set('k', 'v')).toBe(false);
    expect(String(errors[0])).toMatch(/Keep Keyv's serializer/);
  });

  it('refuses to clear the whole store when there is neither namespace nor prefix', async () => {
    const { store } = await backend();
    await store.set('sess:abc', Buffer.from('a session'));
    const bare = make(store, { namespace: '' }, { prefix: '' });
    await expect(bare.clear()).rejects.toThrow(/Give Keyv a namespace or the adapter a prefix/);
    expect(await store.has('sess:abc')).toBe(true);
    // Without a namespace, clear() stays within the default prefix.
    const unnamed = make(store, { namespace: '' });
    await unnamed.set('x', 1);
    await unnamed.clear();
    expect(await store.list()).toEqual(['sess:abc']);
  });
});

// readme: keyv-service
@Injectable()
class Products {
  calls = 0;

  async find(id: string) {
    this.calls++;
    return { id, name: `product ${id}`, price: 42 };
  }
}

@Controller('products')
@UseInterceptors(CacheInterceptor)
class ProductsController {
  constructor(private readonly products: Products) {}

  @Get(':id')
  find(@Param('id') id: string) {
    return this.products.find(id);
  }
}
// readme: end

const modules = redis.moduleOptions({ keyPrefix: 'app:' });
describe.each(modules)('@nestjs/cache-manager on KvsKeyvAdapter (%s)', (_name, backendOf) => {
  let app: INestApplication;

  beforeAll(async () => {
    await redis.flush();
    const backend = backendOf();
    // readme: keyv-module
    @Module({
      imports: [
        KvsModule.forRoot({ ...backend, isGlobal: true }), // backend: e.g. { type: 'redis', url }
        CacheModule.registerAsync({
          inject: [KVS_STORE],
          useFactory: (store: KvsStore) => ({
            stores: [new Keyv({ store: new KvsKeyvAdapter(store), namespace: 'cache' })],
            ttl: 60_000, // ms
          }),
        }),
      ],
      controllers: [ProductsController],
      providers: [Products],
    })
    class AppModule {}
    // readme: end
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves a cached controller response from the store', async () => {
    const http = request(app.getHttpServer());
    const products = app.get(Products);
    await http.get('/products/7').expect(200, { id: '7', name: 'product 7', price: 42 });
    await http.get('/products/7').expect(200, { id: '7', name: 'product 7', price: 42 });
    expect(products.calls).toBe(1);
    const store = app.get<KvsStore>(KVS_STORE);
    expect(await store.list('keyv:cache:')).toEqual(['keyv:cache:/products/7']);
    const ttl = (await store.ttl('keyv:cache:/products/7'))!;
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('gives the Cache API its TTLs, many-key methods and a namespaced clear', async () => {
    const cache = app.get<Cache>(CACHE_MANAGER);
    const store = app.get<KvsStore>(KVS_STORE);
    await store.set('sess:abc', Buffer.from('a session'));
    await cache.set('user:1', { name: 'ann' }, 5_000);
    expect(await cache.get('user:1')).toEqual({ name: 'ann' });
    expect((await store.ttl('keyv:cache:user:1'))!).toBeLessThanOrEqual(5_000);
    const expires = (await cache.ttl('user:1'))!;
    expect(expires - Date.now()).toBeLessThanOrEqual(5_000);

    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(await cache.mget(['a', 'b', 'c'])).toEqual([1, 2, undefined]);
    expect(await cache.mdel(['a'])).toBe(true);
    expect(await cache.wrap('w', async () => 'computed')).toBe('computed');
    expect(await cache.wrap('w', async () => 'again')).toBe('computed');

    await cache.clear();
    expect(await cache.get('user:1')).toBeUndefined();
    expect(await store.list()).toEqual(['sess:abc']);
  });

  it('leaves the store open when the cache module disconnects its stores', async () => {
    const store = app.get<KvsStore>(KVS_STORE);
    await app.get<Cache>(CACHE_MANAGER).disconnect();
    await store.set('alive', Buffer.from('yes'));
    expect(await store.has('alive')).toBe(true);
  });
});

describe('KvsKeyvAdapter options', () => {
  it('rejects a missing store and a non-string prefix, naming the fix', () => {
    expect(() => new KvsKeyvAdapter(undefined as unknown as KvsStore)).toThrow(/KVS_STORE/);
    expect(
      () => new KvsKeyvAdapter(createMemoryStore(), { prefix: 1 as unknown as string }),
    ).toThrow(/prefix/);
  });
});
