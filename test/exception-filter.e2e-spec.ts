/**
 * KvsExceptionFilter on Express and Fastify, with a real redis-server stopped (SIGSTOP: commands
 * time out) or killed (connections refused): a store outage in a route answers 503 with
 * Retry-After and Nest's error shape, and nothing about the store; other errors are untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, NotFoundException, type Provider } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  InjectKvs,
  KvsExceptionFilter,
  KvsInvalidArgumentError,
  KvsModule,
  type KvsStore,
} from '../lib/index.js';
import { boot, PLATFORMS } from './rate-limit/rate-limit.http.js';
import { startRedis, stopAll, type RedisServer } from './support/redis-servers.js';

const PASSWORD = 'filter-secret-pw';

@Controller()
class RoutesController {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  @Get('read')
  async read(): Promise<{ value: string | null }> {
    return { value: (await this.store.tryGet('k'))?.toString() ?? null };
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('No such thing');
  }

  @Get('bug')
  bug(): never {
    throw new Error('a bug');
  }

  @Get('bad-input')
  badInput(): never {
    throw new KvsInvalidArgumentError('Invalid key');
  }

  /** The error of another copy of the package: not this copy's class, the same `code`. */
  @Get('other-copy')
  otherCopy(): never {
    throw Object.assign(new Error('Redis is unreachable'), {
      name: 'KvsConnectionError',
      code: 'KVS_CONNECTION',
    });
  }
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ password: PASSWORD });
}, 30_000);
afterAll(() => stopAll(), 30_000);

// readme: exception-filter
/** In a module's `providers`: a store outage in any route answers 503 with `Retry-After: 5`. */
const outagesAs503: Provider = { provide: APP_FILTER, useClass: KvsExceptionFilter };

/** The same with another `Retry-After`, in whole seconds. */
const outagesAs503RetryIn1s: Provider = {
  provide: APP_FILTER,
  inject: [HttpAdapterHost],
  useFactory: (host: HttpAdapterHost) => new KvsExceptionFilter(host, { retryAfterSeconds: 1 }),
};
// readme: end

function app(platform: (typeof PLATFORMS)[number], filter: Provider = outagesAs503) {
  return boot(platform, {
    imports: [KvsModule.forRoot({ type: 'redis', url: server.url, commandTimeout: 300 })],
    controllers: [RoutesController],
    providers: [filter],
  });
}

function expectUnavailable(res: { headers: Record<string, string>; body: unknown; text: string }) {
  expect(res.body).toEqual({
    statusCode: 503,
    message: 'The service is temporarily unavailable; try again shortly.',
    error: 'Service Unavailable',
  });
  expect(res.headers['retry-after']).toBe('5');
  expect(res.text).not.toContain(PASSWORD);
  expect(res.text).not.toContain(String(server.port));
}

describe.each(PLATFORMS)('KvsExceptionFilter on %s', (platform) => {
  it('answers 503 with Retry-After while Redis does not answer, and 200 once it does', async () => {
    const { http } = await app(platform);
    await http().get('/read').expect(200, { value: null });
    process.kill(server.pid!, 'SIGSTOP');
    try {
      expectUnavailable(await http().get('/read').expect(503));
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    await http().get('/read').expect(200, { value: null });
  }, 30_000);

  it('answers 503 while Redis refuses connections', async () => {
    const { http } = await app(platform);
    await server.kill();
    try {
      expectUnavailable(await http().get('/read').expect(503));
    } finally {
      await server.restart();
    }
  }, 30_000);

  it("leaves other errors to Nest's default handling", async () => {
    const { http } = await app(platform);
    await http().get('/missing').expect(404, {
      statusCode: 404,
      message: 'No such thing',
      error: 'Not Found',
    });
    await http().get('/bug').expect(500, { statusCode: 500, message: 'Internal server error' });
    await http().get('/bad-input').expect(500);
    const res = await http().get('/bug');
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('recognises the error of another copy of the package by its code', async () => {
    const { http } = await app(platform);
    expectUnavailable(await http().get('/other-copy').expect(503));
  });

  it('takes retryAfterSeconds from a factory provider', async () => {
    const { http } = await app(platform, outagesAs503RetryIn1s);
    const res = await http().get('/other-copy').expect(503);
    expect(res.headers['retry-after']).toBe('1');
  });
});

it('works when created by hand for app.useGlobalFilters()', async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [KvsModule.forRoot()],
    controllers: [RoutesController],
  }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  nest.useGlobalFilters(
    new KvsExceptionFilter(nest.get(HttpAdapterHost), { retryAfterSeconds: 2 }),
  );
  await nest.init();
  try {
    const res = await request(nest.getHttpServer()).get('/other-copy').expect(503);
    expect(res.headers['retry-after']).toBe('2');
    await request(nest.getHttpServer()).get('/missing').expect(404);
  } finally {
    await nest.close();
  }
});

it('rejects a retryAfterSeconds that is not a whole number of seconds >= 0', () => {
  for (const retryAfterSeconds of [-1, 1.5, NaN, '5' as unknown as number]) {
    expect(() => new KvsExceptionFilter(undefined, { retryAfterSeconds })).toThrow(
      /Invalid KvsExceptionFilter retryAfterSeconds: expected a whole number of seconds >= 0/,
    );
  }
});
