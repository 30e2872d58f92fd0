/**
 * The guard against abuse, end to end on Express and Fastify, on memory and on Redis: lockouts
 * with truthful headers, limits computed per request (and their checks), and counting only
 * failures or only successes, refunded once the response is over.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  Controller,
  Get,
  Headers,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  type RateLimitPolicy,
} from '../../lib/index.js';
import { bindPolicies } from '../../lib/rate-limit/rate-limit.dynamic.js';
import { resolvePolicy } from '../../lib/rate-limit/rate-limit.policy.js';
import { useRedisServer } from '../support/backends.js';
import { waitUntil } from '../support/redis-servers.js';
import { boot, PLATFORMS } from './rate-limit.http.js';

const redis = useRedisServer();

const header = (ctx: ExecutionContext, name: string): string | undefined =>
  ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers[name];
const user = (ctx: ExecutionContext) => `{user:${header(ctx, 'x-user') ?? 'anon'}}`;

const failures: RateLimitPolicy = {
  name: 'failures',
  limit: 3,
  window: '1m',
  algorithm: 'fixed-window',
  count: 'failures',
  block: '15m',
  key: user,
};
const successes: RateLimitPolicy = {
  name: 'successes',
  limit: 2,
  window: '1m',
  algorithm: 'fixed-window',
  count: 'successes',
  key: user,
};
const perPlan: RateLimitPolicy = {
  name: 'per-plan',
  limit: (ctx) => (header(ctx, 'x-plan') === 'pro' ? 5 : 2),
  window: async () => Promise.resolve('1m' as const),
  cost: (ctx) => Number(header(ctx, 'x-cost') ?? 1),
  algorithm: 'fixed-window',
  key: user,
};

@Controller()
class AbuseController {
  @Get('login')
  @RateLimit(failures)
  login(@Headers('x-ok') ok?: string): string {
    if (ok !== 'yes') throw new UnauthorizedException();
    return 'welcome';
  }

  @Get('export')
  @RateLimit(successes)
  export(@Headers('x-ok') ok?: string): string {
    if (ok !== 'yes') throw new BadRequestException();
    return 'exported';
  }

  @Get('plan')
  @RateLimit(perPlan)
  plan(): string {
    return 'ok';
  }
}

describe.each(redis.moduleOptions())('the guard against abuse on %s', (_name, options) => {
  beforeEach(() => redis.flush());
  const start = (platform: (typeof PLATFORMS)[number]) =>
    boot(platform, {
      imports: [KvsModule.forRoot(options())],
      controllers: [AbuseController],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    });

  it.each(PLATFORMS)(
    'on %s, count: failures refunds successes; the refusal locks the key out with truthful headers',
    async (platform) => {
      const { app, http } = await start(platform);
      const limiter = app.get(RateLimiter);
      for (let i = 0; i < 4; i++) {
        await http().get('/login').set('x-user', 'ann').set('x-ok', 'yes').expect(200);
      }
      // Counted up front, refunded once the response is over.
      await waitUntil(
        'the successes refunded',
        async () => (await limiter.peek('{user:ann}', failures)).remaining === 3,
        { timeoutMs: 5000, intervalMs: 20 },
      );
      for (let i = 0; i < 3; i++) {
        await http().get('/login').set('x-user', 'ann').expect(401);
      }
      const refused = await http().get('/login').set('x-user', 'ann').set('x-ok', 'yes');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('900');
      expect(refused.headers['ratelimit']).toBe('"failures";r=0;t=900');
      // Locked out: the right password does not help, and other users are not concerned.
      await http().get('/login').set('x-user', 'ann').set('x-ok', 'yes').expect(429);
      await http().get('/login').set('x-user', 'bob').set('x-ok', 'yes').expect(200);
      await limiter.reset('{user:ann}', failures);
      await http().get('/login').set('x-user', 'ann').set('x-ok', 'yes').expect(200);
    },
  );

  it.each(PLATFORMS)('on %s, count: successes refunds failures', async (platform) => {
    const { app, http } = await start(platform);
    const limiter = app.get(RateLimiter);
    for (let i = 0; i < 3; i++) await http().get('/export').set('x-user', 'cy').expect(400);
    await waitUntil(
      'the failures refunded',
      async () => (await limiter.peek('{user:cy}', successes)).remaining === 2,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    await http().get('/export').set('x-user', 'cy').set('x-ok', 'yes').expect(200);
    await http().get('/export').set('x-user', 'cy').set('x-ok', 'yes').expect(200);
    const refused = await http().get('/export').set('x-user', 'cy').set('x-ok', 'yes');
    expect(refused.status).toBe(429);
  });

  it.each(PLATFORMS)('on %s, limit, window and cost come from the request', async (platform) => {
    const { http } = await start(platform);
    for (let i = 0; i < 2; i++) await http().get('/plan').set('x-user', 'free').expect(200);
    const free = await http().get('/plan').set('x-user', 'free').expect(429);
    expect(free.headers['ratelimit-policy']).toBe('"per-plan";q=2;w=60');
    for (let i = 0; i < 5; i++) {
      await http().get('/plan').set('x-user', 'pro').set('x-plan', 'pro').expect(200);
    }
    await http().get('/plan').set('x-user', 'pro').set('x-plan', 'pro').expect(429);
    await http().get('/plan').set('x-user', 'big').set('x-plan', 'pro').set('x-cost', '4');
    const left = await http().get('/plan').set('x-user', 'big').set('x-plan', 'pro');
    expect(left.headers['ratelimit']).toMatch(/^"per-plan";r=0;t=\d+$/); // 4 + 1 of 5
    // A cost above the request's own limit is a programming error: 500, not a silent clamp.
    await http().get('/plan').set('x-user', 'x').set('x-cost', '3').expect(500);
  });
});

describe('per-request values are checked', () => {
  const context = {} as ExecutionContext;
  it.each<[Partial<RateLimitPolicy>, RegExp]>([
    [{ limit: () => -1 }, /"plan": limit\(context\) must be a whole number >= 1, got -1/],
    [
      { window: () => 'soon' as never },
      /"plan": window\(context\) must be a whole number of milliseconds/,
    ],
    [{ cost: async () => Promise.resolve(9) }, /"plan": cost\(context\) 9 exceeds the limit 5/],
  ])('%p', async (override, message) => {
    const policy = resolvePolicy({ name: 'plan', limit: 5, window: '1m', ...override });
    await expect(bindPolicies(context, [policy])).rejects.toThrow(message);
  });

  it('a policy whose limit or window is a function needs a name', () => {
    expect(() => resolvePolicy({ limit: () => 1, window: '1m' })).toThrow(/needs a name/);
  });

  it('RateLimiter.consume cannot resolve a per-request value: it says to pass numbers', async () => {
    const limiter = new RateLimiter({ store: await redis.redisStore() });
    await expect(limiter.consume('k', perPlan)).rejects.toThrow(
      /consume\(\) cannot use policy "per-plan".*Pass the values instead/,
    );
    await limiter.reset('{user:x}', perPlan); // only names and algorithms matter there
  });
});
