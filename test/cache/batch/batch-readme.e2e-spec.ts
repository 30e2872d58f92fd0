/**
 * The README's "Batches" examples, verbatim between the `// readme: batch-...` markers (checked
 * against README.md by test/readme-snippets.spec.ts), run on a real redis-server.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type Provider } from '@nestjs/common';
import { Cacheable, CacheableMany, CacheEvict, KvsCache } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps } from '../cache.fixtures.js';
import type { User } from './batch.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

/** Stands in for a database. */
@Injectable()
class UserRepository {
  readonly queries: string[][] = [];
  readonly #rows = new Map<string, User>([
    ['1', { id: '1', name: 'Ada' }],
    ['2', { id: '2', name: 'Grace' }],
  ]);

  async findByIds(ids: string[]): Promise<User[]> {
    this.queries.push(ids);
    return ids.flatMap((id) => this.#rows.get(id) ?? []);
  }

  async prices(skus: string[]): Promise<{ sku: string; cents: number }[]> {
    this.queries.push(skus);
    return skus.filter((sku) => sku !== 'gone').map((sku) => ({ sku, cents: 1999 }));
  }
}

// readme: batch-service
@Injectable()
class UserService {
  constructor(private readonly users: UserRepository) {}

  // One store read for all the ids; the method runs once, with only the ids that missed.
  @CacheableMany({ key: (id: string) => `user:${id}`, ttl: '5m' })
  async findByIds(ids: string[]): Promise<(User | null)[]> {
    const rows = await this.users.findByIds(ids);
    return ids.map((id) => rows.find((user) => user.id === id) ?? null); // in the ids' order
  }

  // The same keys: find() and findByIds() read and fill the same entries.
  @Cacheable({ key: (id: string) => `user:${id}`, ttl: '5m' })
  async find(id: string): Promise<User | null> {
    return (await this.users.findByIds([id]))[0] ?? null;
  }
}
// readme: end

interface Product {
  id: string;
  category: string;
  cents: number;
  stock: number;
}

/** Stands in for a database of products. */
@Injectable()
class ProductRepository {
  readonly queries: string[][] = [];
  readonly rows = new Map<string, Product>([
    ['p1', { id: 'p1', category: 'books', cents: 1200, stock: 3 }],
    ['p2', { id: 'p2', category: 'games', cents: 4999, stock: 0 }],
    ['p3', { id: 'p3', category: 'books', cents: 900, stock: 8 }],
  ]);

  async findByIds(ids: string[]): Promise<Product[]> {
    this.queries.push(ids);
    return ids.map((id) => ({ ...this.rows.get(id)! }));
  }

  async reprice(category: string, percent: number): Promise<void> {
    for (const row of this.rows.values()) {
      if (row.category === category) row.cents = Math.round((row.cents * (100 + percent)) / 100);
    }
  }
}

// readme: batch-tags
@Injectable()
class Catalog {
  constructor(private readonly db: ProductRepository) {}

  @CacheableMany({
    key: (id: string) => `product:${id}`,
    tags: (id: string) => [`product:${id}`], // read with the batch's MGET: no extra round trip
    resultTags: (product: Product) => [`category:${product.category}`],
    ttl: (product: Product) => (product.stock > 0 ? '10m' : '30s'), // per value
    grace: '1h', // if the query fails, ids with a graced entry answer with it
  })
  async products(ids: string[]): Promise<Product[]> {
    return this.db.findByIds(ids); // in the ids' order
  }

  // Drops every cached product of the category, in one batch or not, on every instance.
  @CacheEvict({ tags: (category: string) => [`category:${category}`] })
  async reprice(category: string, percent: number): Promise<void> {
    await this.db.reprice(category, percent);
  }
}
// readme: end

/** An app on the suite's redis-server with `providers`. */
const start = (providers: Provider[]) =>
  boot({ backend: 'redis', url: redis.server.url, cache: { timeout: '5s' }, providers });

describe('README: batches', () => {
  it('@CacheableMany loads only the missing ids, with one query', async () => {
    const { app } = await start([UserService, UserRepository]);
    const service = app.get(UserService);
    const repository = app.get(UserRepository);
    expect(await service.find('2')).toEqual({ id: '2', name: 'Grace' });
    expect(await service.findByIds(['1', '2', '3'])).toEqual([
      { id: '1', name: 'Ada' },
      { id: '2', name: 'Grace' },
      null,
    ]);
    expect(repository.queries).toEqual([['2'], ['1', '3']]);
  });

  it('KvsCache.wrapMany takes a Map', async () => {
    const { app } = await start([UserRepository]);
    const cache = app.get(KvsCache);
    const db = app.get(UserRepository);
    const skus = ['b-1', 'gone', 'b-2'];
    // readme: batch-wrap-many
    const prices = await cache.wrapMany(
      skus.map((sku) => `price:${sku}`),
      async (missing) => {
        // Called once, with the keys that missed, in the order of `skus`.
        const rows = await db.prices(missing.map((key) => key.slice('price:'.length)));
        // A Map from key to value: a key it lacks resolves (and is cached as) undefined.
        return new Map(rows.map((row) => [`price:${row.sku}`, row.cents]));
      },
      { ttl: '1m' },
    );
    // readme: end
    expect(prices).toEqual([1999, undefined, 1999]);
    expect(await cache.wrapMany(['price:gone', 'price:b-2'], async () => new Map())).toEqual([
      undefined,
      1999,
    ]);
    expect(db.queries).toEqual([['b-1', 'gone', 'b-2']]);
  });

  it('@CacheableMany with tags: an invalidation reloads only the ids it concerns', async () => {
    const { app, store } = await start([Catalog, ProductRepository]);
    const catalog = app.get(Catalog);
    const db = app.get(ProductRepository);
    await catalog.products(['p1', 'p2', 'p3']);
    // The store keeps an entry ttl + grace: 30 s + 1 h out of stock, 10 min + 1 h in stock.
    expect(await store.ttl('cache:product:p2')).toBeLessThanOrEqual(3_630_000);
    expect(await store.ttl('cache:product:p1')).toBeGreaterThan(3_630_000);
    await catalog.reprice('books', 10);
    const prices = (await catalog.products(['p1', 'p2', 'p3'])).map((p) => p.cents);
    expect(prices).toEqual([1320, 4999, 990]);
    expect(db.queries).toEqual([
      ['p1', 'p2', 'p3'],
      ['p1', 'p3'],
    ]);
  });
});
