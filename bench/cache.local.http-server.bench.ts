/**
 * Child process of the local section's HTTP part: one Nest app serving `GET /products/:id` on
 * Express or Fastify, cached one of two ways, on a free loopback port.
 *
 *   node cache.local.http-server.bench.js local:<kvs-local|cache-manager>:<express|fastify> <redis url>
 *
 * Same protocol as bench/cache.http-server.bench.ts (it is started by the same `startHttpServer`):
 * reports `{ port }` over IPC, answers any message with `{ handled, cpu, localHits }`, exits when
 * the parent disconnects. The body is the ~500-byte product of the cache section.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Param, UseInterceptors } from '@nestjs/common';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import KeyvRedis from '@keyv/redis';
import { CacheableMemory, Keyv } from 'cacheable';
import { Cacheable, KvsCache, KvsCacheModule } from '../lib/cache/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import { product, type Product } from './cache.hit.bench.js';

/** The apps the HTTP part starts. */
export type LocalHttpCache = 'kvs-local' | 'cache-manager';
export type LocalHttpAdapter = 'express' | 'fastify';

const TTL = 10 * 60 * 1000;
let handled = 0;

function load(id: string): Product {
  handled++;
  return product(id);
}

@Controller('products')
class KvsProducts {
  @Get(':id')
  @Cacheable({ key: (id: string) => `product:${id}` })
  async find(@Param('id') id: string): Promise<Product> {
    return load(id);
  }
}

@Controller('products')
@UseInterceptors(CacheInterceptor)
class CacheManagerProducts {
  @Get(':id')
  async find(@Param('id') id: string): Promise<Product> {
    return load(id);
  }
}

/** Each app has keys of its own on the shared redis-server, so that its warm-up runs its handler. */
function appModule(cache: LocalHttpCache, adapter: LocalHttpAdapter, url: string): DynamicModule {
  const namespace = `bench-http-${cache}-${adapter}`;
  if (cache === 'cache-manager') {
    // The two-store setup of the @nestjs/cache-manager docs: memory first, then Redis.
    const memory = new Keyv({ store: new CacheableMemory({ ttl: TTL, lruSize: 10_000 }) });
    const redis = new Keyv({ store: new KeyvRedis(url), namespace });
    return {
      module: class CacheManagerTieredApp {},
      imports: [CacheModule.register({ stores: [memory, redis], ttl: TTL })],
      controllers: [CacheManagerProducts],
    };
  }
  return {
    module: class KvsLocalApp {},
    imports: [
      KvsModule.forRoot({ type: 'redis', url, keyPrefix: `${namespace}:` }),
      KvsCacheModule.forRoot({ ttl: TTL, local: true }),
    ],
    controllers: [KvsProducts],
  };
}

async function main(): Promise<void> {
  const [kind, url] = process.argv.slice(2) as [string, string];
  const [, cache, adapter] = kind.split(':') as [string, LocalHttpCache, LocalHttpAdapter];
  @Module({ imports: [appModule(cache, adapter, url)] })
  class Root {}
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(Root as Type, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(Root as Type, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const kvs = cache === 'cache-manager' ? undefined : app.get(KvsCache);
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    const localHits = kvs === undefined ? 0 : kvs.stats().localHits;
    process.send?.({ handled, cpu: user + system, localHits });
  });
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
  process.send?.({ port: address.port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
