/**
 * Child process of the cache bench's HTTP part: one Nest (express) app serving
 * `GET /products/:id`, cached one of three ways, on a free loopback port.
 *
 *   node cache.http-server.bench.js <kvs|cache-manager|none> <redis url>
 *
 * It reports `{ port }` to the parent over IPC, answers any message with `{ handled, cpu }`
 * (handler runs and CPU µs so far), and exits when the parent disconnects. The handler builds the same ~1 KB product for
 * every contender, so the figures compare the caching layers only.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Module,
  Param,
  UseInterceptors,
  type DynamicModule,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import type { KeyvStoreAdapter } from 'keyv';
import { Cacheable, KvsCacheModule } from '../lib/cache/index.js';
import { KvsModule } from '../lib/kvs/index.js';

/** The kinds of app the bench starts. */
export type HttpContender = 'kvs' | 'cache-manager' | 'none';

const TTL = 10 * 60 * 1000;
let handled = 0;

/** The response body: the same for every contender. */
function product(id: string) {
  handled++;
  return {
    id,
    name: `Product ${id}`,
    description: 'A sturdy, well-made thing. '.repeat(12),
    price: { amount: 1999 + Number(id), currency: 'EUR' },
    tags: ['home', 'garden', 'tools', `batch-${Number(id) % 7}`],
    stock: { warehouse: 12, store: 3 },
    updatedAt: '2026-11-26T10:00:00.000Z',
  };
}

@Controller('products')
class KvsProducts {
  @Get(':id')
  @Cacheable({ key: (id: string) => `product:${id}` })
  async find(@Param('id') id: string): Promise<ReturnType<typeof product>> {
    return product(id);
  }
}

@Controller('products')
@UseInterceptors(CacheInterceptor)
class CacheManagerProducts {
  @Get(':id')
  async find(@Param('id') id: string): Promise<ReturnType<typeof product>> {
    return product(id);
  }
}

@Controller('products')
class PlainProducts {
  @Get(':id')
  async find(@Param('id') id: string): Promise<ReturnType<typeof product>> {
    return product(id);
  }
}

async function appModule(kind: HttpContender, url: string): Promise<DynamicModule> {
  if (kind === 'kvs') {
    return {
      module: class KvsApp {},
      imports: [
        KvsModule.forRoot({ type: 'redis', url, keyPrefix: 'bench-kvs:' }),
        KvsCacheModule.forRoot({ ttl: TTL }),
      ],
      controllers: [KvsProducts],
    };
  }
  if (kind === 'cache-manager') {
    // Not a dependency of the library: the bench needs it installed (see bench/cache.bench.ts).
    const specifier = '@keyv/redis';
    const { default: KeyvRedis } = (await import(specifier)) as {
      default: new (url: string) => KeyvStoreAdapter;
    };
    return {
      module: class CacheManagerApp {},
      imports: [CacheModule.register({ stores: [new KeyvRedis(url)], ttl: TTL })],
      controllers: [CacheManagerProducts],
    };
  }
  return { module: class PlainApp {}, controllers: [PlainProducts] };
}

async function main(): Promise<void> {
  const [kind, url] = process.argv.slice(2) as [HttpContender, string];
  @Module({ imports: [await appModule(kind, url)] })
  class Root {}
  const app = await NestFactory.create(Root as Type, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ handled, cpu: user + system });
  });
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
  process.send?.({ port: address.port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
