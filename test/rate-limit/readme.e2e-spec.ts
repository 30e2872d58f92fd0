/**
 * The README's rate-limiting examples, verbatim between the `readme:` markers, run here so the
 * README cannot drift from working code.
 */
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, Post, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
// readme: rate-limit-imports
import {
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  RateLimitModule,
  SkipRateLimit,
} from '../../lib/index.js';
// readme: end

// readme: rate-limit-controller
const userId = (ctx: ExecutionContext): string =>
  ctx.switchToHttp().getRequest<{ user?: { id: string } }>().user?.id ?? 'anonymous';

@Controller('reports')
@RateLimit({ limit: 100, window: 60_000 }) // every route here: 100 a minute per client IP
class ReportsController {
  @Get()
  list(): string[] {
    return [];
  }

  @Post() // beats the controller's setting: both limits, decided in one atomic step
  @RateLimit([
    { name: 'burst', limit: 3, window: 1_000, key: (ctx) => `{user:${userId(ctx)}}` },
    { name: 'daily', limit: 50, window: 86_400_000, key: (ctx) => `{user:${userId(ctx)}}:daily` },
  ])
  create(): string {
    return 'queued';
  }

  @Get('health')
  @SkipRateLimit()
  health(): string {
    return 'up';
  }
}
// readme: end

// readme: rate-limit-consume
@Injectable()
class ExportJobs {
  constructor(private readonly limiter: RateLimiter) {}

  /** A queue worker, a WebSocket handler or a GraphQL resolver: same limits, no HTTP needed. */
  async start(tenant: string): Promise<string> {
    const decision = await this.limiter.consume(`tenant:${tenant}`, {
      limit: 2,
      window: 60_000,
      algorithm: 'token-bucket',
    });
    if (!decision.allowed) return `retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`;
    return 'started';
  }
}
// readme: end

// readme: rate-limit-subclass
/** Counts API clients by their key, and everyone else by IP. */
@Injectable()
class ApiKeyRateLimitGuard extends RateLimitGuard {
  protected override getTracker(req: object, context: ExecutionContext): string | Promise<string> {
    const key = (req as { headers: Record<string, string | undefined> }).headers['x-api-key'];
    return key !== undefined ? `key:${key}` : super.getTracker(req, context);
  }
}

// in the root module, instead of RateLimitGuard:
const providers = [{ provide: APP_GUARD, useClass: ApiKeyRateLimitGuard }];
// readme: end

@Controller('api')
class ApiController {
  @Get()
  @RateLimit({ limit: 1, window: 60_000 })
  get(): string {
    return 'ok';
  }
}

describe('README rate-limiting examples', () => {
  it('module, controller and consume', async () => {
    // readme: rate-limit-module
    @Module({
      imports: [
        KvsModule.forRoot(), // memory; or { type: 'redis', url } to share limits between instances
        RateLimitModule.forRoot({
          policies: { limit: 600, window: 60_000 }, // routes without @RateLimit: 600 a minute per IP
          headers: 'draft-8', // RateLimit + RateLimit-Policy; or 'legacy', 'draft-6', 'draft-7', false
          onStoreError: 'allow', // Redis down or slower than `timeout` ms: let requests through
        }),
      ],
      controllers: [ReportsController],
      providers: [ExportJobs, { provide: APP_GUARD, useClass: RateLimitGuard }],
    })
    class AppModule {}
    // readme: end

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const http = () => request(app.getHttpServer());
    try {
      for (let i = 0; i < 3; i++) await http().post('/reports').expect(201);
      const refused = await http().post('/reports').expect(429);
      expect(['1', '2']).toContain(refused.headers['retry-after']); // real clock: <= 1.34 s
      expect(refused.headers['ratelimit-policy']).toBe('"burst";q=3;w=1, "daily";q=50;w=86400');
      expect((await http().get('/reports').expect(200)).headers['ratelimit']).toMatch(
        /^"100-in-60s";r=99;t=(6\d|[7-9]\d|1[01]\d|120)$/, // whole again in 60-120 s
      );
      expect(
        (await http().get('/reports/health').expect(200)).headers['ratelimit'],
      ).toBeUndefined();

      const jobs = app.get(ExportJobs);
      expect(await jobs.start('acme')).toBe('started');
      expect(await jobs.start('acme')).toBe('started');
      expect(await jobs.start('acme')).toBe('retry in 30 s');
    } finally {
      await app.close();
    }
  });

  it('a subclassed guard', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KvsModule.forRoot(), RateLimitModule.forRoot()],
      controllers: [ApiController],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const http = () => request(app.getHttpServer());
    try {
      await http().get('/api').set('x-api-key', 'k1').expect(200);
      await http().get('/api').set('x-api-key', 'k1').expect(429);
      await http().get('/api').set('x-api-key', 'k2').expect(200);
      await http().get('/api').expect(200);
      await http().get('/api').expect(429);
    } finally {
      await app.close();
    }
  });
});
