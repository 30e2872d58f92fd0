/**
 * The README's "Caching" examples, verbatim between the `// readme: cache-...` markers; the last
 * test checks that README.md shows each of them unchanged, so the README cannot drift.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
// readme: cache-imports
import {
  Cacheable,
  CacheEvict,
  CachePut,
  KvsCache,
  KvsCacheModule,
  KvsModule,
} from '../../lib/index.js';
// readme: end

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
  process.env['REDIS_URL'] = server.url;
});
afterAll(() => stopAll());

interface User {
  id: string;
  name: string;
}

/** Stands in for a database. */
@Injectable()
class UserRepository {
  readonly rows = new Map<string, User>([['1', { id: '1', name: 'Ada' }]]);
  reads = 0;

  async findOne(id: string): Promise<User | null> {
    this.reads++;
    return this.rows.get(id) ?? null;
  }

  async update(id: string, name: string): Promise<User> {
    const user = { id, name };
    this.rows.set(id, user);
    return user;
  }

  async remove(id: string): Promise<void> {
    this.rows.delete(id);
  }
}

// readme: cache-service
@Injectable()
class UserService {
  constructor(private readonly users: UserRepository) {}

  // Key: 'user:<id>' in the namespace 'cache' (the store key is 'cache:user:<id>').
  @Cacheable({ key: (id: string) => `user:${id}`, ttl: 60_000 })
  async find(id: string): Promise<User | null> {
    return this.users.findOne(id); // a null result is cached too: a hit, not a miss
  }

  // Runs the method, then stores its result for find() to read.
  @CachePut({ key: (id: string) => `user:${id}` })
  async rename(id: string, name: string): Promise<User> {
    return this.users.update(id, name);
  }

  // Removes the entry once the method succeeds.
  @CacheEvict({ key: (id: string) => `user:${id}` })
  async remove(id: string): Promise<void> {
    await this.users.remove(id);
  }
}

// readme: end

// readme: cache-controller
@Controller('products')
class ProductsController {
  @Get(':id')
  @Cacheable({ key: (id: string) => `product:${id}`, ttl: 30_000 })
  async find(@Param('id') id: string): Promise<{ id: string; price: number }> {
    return { id, price: 1999 }; // runs once per id per 30 s; routes, guards and pipes still apply
  }
}
// readme: end

describe('README: Caching', () => {
  it('caches, puts and evicts a service method', async () => {
    // readme: cache-module
    @Module({
      imports: [
        KvsModule.forRoot({ type: 'redis', url: process.env['REDIS_URL'] }),
        KvsCacheModule.forRoot({ ttl: 60_000, timeout: 150 }), // once per app; it is global
      ],
      providers: [UserService, UserRepository],
    })
    class AppModule {}
    // readme: end
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await moduleRef.init();
    const service = moduleRef.get(UserService);
    const repository = moduleRef.get(UserRepository);
    await service.find('1');
    await service.find('1');
    expect(repository.reads).toBe(1);
    await service.rename('1', 'Grace');
    expect(await service.find('1')).toEqual({ id: '1', name: 'Grace' });
    await service.remove('1');
    expect(await service.find('1')).toBeNull();
    expect(await service.find('1')).toBeNull();
    expect(repository.reads).toBe(2);
    await moduleRef.close();
  });

  it('caches a route handler', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KvsModule.forRoot(), KvsCacheModule.forRoot()],
      controllers: [ProductsController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).get('/products/7').expect(200, { id: '7', price: 1999 });
    expect(await app.get(KvsCache).get('product:7')).toEqual({ id: '7', price: 1999 });
    await app.close();
  });

  it('wraps code that is not a method, and reads the counters', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KvsModule.forRoot(), KvsCacheModule.forRoot()],
    }).compile();
    await moduleRef.init();
    const cache = moduleRef.get(KvsCache);
    const day = '2026-11-26';
    const buildReport = async (d: string) => ({ day: d, rows: [1, 2, 3] });
    // readme: cache-wrap
    const report = await cache.wrap(`report:${day}`, () => buildReport(day), {
      ttl: 60 * 60_000,
      staleTtl: 5 * 60_000, // then served stale for 5 min while one call refreshes it
      lock: true, // one computation across all app instances sharing the store
    });
    const { hits, misses, stale, errors } = cache.stats();
    // readme: end
    expect(report).toEqual({ day, rows: [1, 2, 3] });
    expect({ hits, misses, stale, errors }).toEqual({ hits: 0, misses: 1, stale: 0, errors: 0 });
    await moduleRef.close();
  });
});
