/**
 * The opt-in `X-Cache: HIT | STALE | MISS` header of KvsCacheHeaderInterceptor, over HTTP on
 * Express and Fastify. No OpenTelemetry SDK is registered here: the header does not need one.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Param,
  type INestApplication,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  Cacheable,
  KvsCacheHeaderInterceptor,
  KvsCacheModule,
  KvsModule,
} from '../../lib/index.js';

let now = 1_000_000;
const open: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

@Injectable()
class Prices {
  @Cacheable({ key: (id: string) => `price:${id}` })
  async price(id: string): Promise<number> {
    return id.length;
  }
}

@Controller()
class ProductsController {
  constructor(private readonly prices: Prices) {}

  @Get('products/:id')
  @Cacheable({ key: (id: string) => `product:${id}` })
  async product(@Param('id') id: string): Promise<{ id: string }> {
    return { id };
  }

  /** Its load calls another cached method: the route's own lookup decides the header. */
  @Get('priced/:id')
  @Cacheable({ key: (id: string) => `priced:${id}` })
  async priced(@Param('id') id: string): Promise<{ id: string; price: number }> {
    return { id, price: await this.prices.price(id) };
  }

  @Get('maybe/:id')
  @Cacheable({ key: (id: string) => `maybe:${id}`, condition: (id: string) => id !== 'skip' })
  async maybe(@Param('id') id: string): Promise<string> {
    return id;
  }

  @Get('plain')
  plain(): string {
    return 'plain';
  }
}

async function start(platform: 'express' | 'fastify', header = true) {
  const providers: Provider[] = [Prices];
  if (header) providers.push({ provide: APP_INTERCEPTOR, useClass: KvsCacheHeaderInterceptor });
  const moduleRef = await Test.createTestingModule({
    imports: [
      KvsModule.forRoot(),
      KvsCacheModule.forRoot({ ttl: 1000, staleTtl: 60_000, clock: () => now }),
    ],
    providers,
    controllers: [ProductsController],
  }).compile();
  const app =
    platform === 'express'
      ? moduleRef.createNestApplication({ logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
          logger: false,
        });
  open.push(app);
  await app.init();
  if (platform === 'fastify') {
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
  return {
    app,
    prices: app.get(Prices),
    get: (path: string) => request(app.getHttpServer()).get(path),
  };
}

describe.each(['express', 'fastify'] as const)('X-Cache on %s', (platform) => {
  it('says MISS, then HIT, then STALE once the entry is past its ttl', async () => {
    const { get } = await start(platform);
    const first = await get('/products/1').expect(200, { id: '1' });
    expect(first.headers['x-cache']).toBe('MISS');
    expect((await get('/products/1').expect(200, { id: '1' })).headers['x-cache']).toBe('HIT');
    now += 1500;
    expect((await get('/products/1').expect(200, { id: '1' })).headers['x-cache']).toBe('STALE');
  });

  it('gives each of concurrent requests its own result', async () => {
    const { get } = await start(platform);
    await get('/products/1').expect(200);
    const [hit, miss] = await Promise.all([get('/products/1'), get('/products/2')]);
    expect([hit.headers['x-cache'], miss.headers['x-cache']]).toEqual(['HIT', 'MISS']);
  });

  it("reports the route's lookup, not those of cached methods its load calls", async () => {
    const { get, prices } = await start(platform);
    await prices.price('7'); // the inner method's entry exists: its lookup during the load hits
    const res = await get('/priced/7').expect(200, { id: '7', price: 1 });
    expect(res.headers['x-cache']).toBe('MISS');
  });

  it('sets no header on routes that did not use the cache', async () => {
    const { get } = await start(platform);
    expect((await get('/plain').expect(200)).headers['x-cache']).toBeUndefined();
    expect((await get('/maybe/skip').expect(200)).headers['x-cache']).toBeUndefined();
    expect((await get('/maybe/go').expect(200)).headers['x-cache']).toBe('MISS');
  });

  it('sets none without the interceptor (opt-in)', async () => {
    const { get } = await start(platform, false);
    await get('/products/1').expect(200);
    expect((await get('/products/1').expect(200)).headers['x-cache']).toBeUndefined();
  });
});
