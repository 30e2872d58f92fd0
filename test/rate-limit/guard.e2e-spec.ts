/**
 * RateLimitGuard end to end on Express and on Fastify: the 429 response, every header format,
 * proxy headers, per-user keys, several policies on a route. Memory store, injected clock.
 */
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  createMemoryStore,
  RateLimit,
  RateLimitGuard,
  RateLimitModule,
  type RateLimitModuleOptions,
} from '../../lib/index.js';
import { boot, clock, PLATFORMS } from './rate-limit.http.js';

const userOf = (ctx: ExecutionContext): string =>
  String(ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-user']);

@Controller()
class ApiController {
  @Get('limited')
  @RateLimit({ limit: 3, window: 1000 })
  limited(): string {
    return 'ok';
  }

  @Get('legacy')
  @RateLimit({ limit: 2, window: 60_000, algorithm: 'fixed-window' }, { headers: 'legacy' })
  legacy(): string {
    return 'ok';
  }

  @Get('draft-6')
  @RateLimit({ limit: 2, window: 60_000, algorithm: 'fixed-window' }, { headers: 'draft-6' })
  draft6(): string {
    return 'ok';
  }

  @Get('draft-7')
  @RateLimit({ limit: 2, window: 60_000, algorithm: 'fixed-window' }, { headers: 'draft-7' })
  draft7(): string {
    return 'ok';
  }

  @Get('quiet')
  @RateLimit({ limit: 1, window: 60_000, algorithm: 'fixed-window' }, { headers: false })
  quiet(): string {
    return 'ok';
  }

  @Get('two')
  @RateLimit([
    { limit: 2, window: 1000, algorithm: 'fixed-window', name: 'burst' },
    { limit: 3, window: 60_000, algorithm: 'fixed-window', name: 'minute' },
  ])
  two(): string {
    return 'ok';
  }

  @Get('per-user')
  @RateLimit({ limit: 1, window: 60_000, key: (ctx) => `user:${userOf(ctx)}` })
  perUser(): string {
    return 'ok';
  }

  @Get('bucket')
  @RateLimit({ limit: 2, window: 1000, algorithm: 'token-bucket' })
  bucket(): string {
    return 'ok';
  }
}

function appWith(options: RateLimitModuleOptions = {}) {
  return {
    imports: [
      RateLimitModule.forRoot({ store: createMemoryStore(), clock: clock.read, ...options }),
    ],
    controllers: [ApiController],
    providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
  };
}

describe.each(PLATFORMS)('RateLimitGuard on %s', (platform) => {
  it('answers 429 with the usual JSON body and Retry-After, with draft-8 headers by default', async () => {
    const { http } = await boot(platform, appWith());
    for (const remaining of [2, 1, 0]) {
      const res = await http().get('/limited').expect(200, 'ok');
      expect(res.headers['ratelimit-policy']).toBe('"3-in-1s";q=3;w=1');
      expect(res.headers['ratelimit']).toBe(`"3-in-1s";r=${remaining};t=2`);
    }
    clock.now += 400;
    const refused = await http().get('/limited').expect(429);
    expect(refused.body).toEqual({ statusCode: 429, message: 'Too Many Requests' });
    expect(refused.headers['retry-after']).toBe('1'); // 600 ms to the next window, then 0
    expect(refused.headers['ratelimit']).toBe('"3-in-1s";r=0;t=1');
    clock.now += 600;
    await http().get('/limited').expect(429); // 3 * (1 - 0/1000) + 1 > 3
    clock.now += 334;
    await http().get('/limited').expect(200); // 3 * (1 - 334/1000) + 1 <= 3
  });

  it('sends legacy, draft-6 and draft-7 headers per route, and none when told', async () => {
    const { http } = await boot(platform, appWith());
    const now = Math.ceil((Date.now() + 60_000) / 1000);
    const legacy = await http().get('/legacy').expect(200);
    expect(legacy.headers['x-ratelimit-limit']).toBe('2');
    expect(legacy.headers['x-ratelimit-remaining']).toBe('1');
    const reset = Number(legacy.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(now);
    expect(reset).toBeLessThanOrEqual(now + 5);
    expect(legacy.headers['ratelimit']).toBeUndefined();

    const draft6 = await http().get('/draft-6').expect(200);
    expect(draft6.headers).toMatchObject({
      'ratelimit-policy': '2;w=60',
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '60',
    });
    const draft7 = await http().get('/draft-7').expect(200);
    expect(draft7.headers).toMatchObject({
      'ratelimit-policy': '2;w=60',
      ratelimit: 'limit=2, remaining=1, reset=60',
    });
    const quiet = await http().get('/quiet').expect(200);
    expect(Object.keys(quiet.headers).filter((h) => /ratelimit/i.test(h))).toEqual([]);
    const refused = await http().get('/quiet').expect(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(Object.keys(refused.headers).filter((h) => /ratelimit/i.test(h))).toEqual([]);
  });

  it('takes the header format from the module, a route still overriding it', async () => {
    const { http } = await boot(platform, appWith({ headers: 'draft-7' }));
    expect((await http().get('/limited')).headers['ratelimit']).toBe(
      'limit=3, remaining=2, reset=2',
    );
    expect((await http().get('/legacy')).headers['x-ratelimit-limit']).toBe('2');
  });

  it('decides several policies at once; a refusal by one spends nothing of the other', async () => {
    const { http } = await boot(platform, appWith());
    await http().get('/two').expect(200);
    const second = await http().get('/two').expect(200);
    expect(second.headers['ratelimit-policy']).toBe('"burst";q=2;w=1, "minute";q=3;w=60');
    expect(second.headers['ratelimit']).toBe('"burst";r=0;t=1, "minute";r=1;t=60');
    const refused = await http().get('/two').expect(429);
    expect(refused.headers['ratelimit']).toBe('"burst";r=0;t=1, "minute";r=1;t=60');
    clock.now += 1000;
    expect((await http().get('/two').expect(200)).headers['ratelimit']).toBe(
      '"burst";r=1;t=1, "minute";r=0;t=59',
    );
    const minute = await http().get('/two').expect(429);
    expect(minute.headers['retry-after']).toBe('59');
  });

  it('counts per user with a key function', async () => {
    const { http } = await boot(platform, appWith());
    await http().get('/per-user').set('x-user', 'ann').expect(200);
    await http().get('/per-user').set('x-user', 'ann').expect(429);
    await http().get('/per-user').set('x-user', 'bob').expect(200);
  });

  it('refills a token bucket over time', async () => {
    const { http } = await boot(platform, appWith());
    await http().get('/bucket').expect(200);
    await http().get('/bucket').expect(200);
    expect((await http().get('/bucket').expect(429)).headers['retry-after']).toBe('1');
    clock.now += 500;
    await http().get('/bucket').expect(200);
    await http().get('/bucket').expect(429);
  });

  it('ignores a spoofed X-Forwarded-For unless the app trusts the proxy', async () => {
    const { http } = await boot(platform, appWith());
    await http().get('/per-user').expect(200); // key "user:undefined"; /legacy is keyed by IP
    await http().get('/legacy').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await http().get('/legacy').set('X-Forwarded-For', '203.0.113.2').expect(200);
    await http().get('/legacy').set('X-Forwarded-For', '203.0.113.3').expect(429);

    const trusted = await boot(platform, appWith(), { trustProxy: true });
    await trusted.http().get('/legacy').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '203.0.113.1').expect(200);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '203.0.113.1').expect(429);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '203.0.113.2').expect(200);
    // IPv6 clients count per /64: another address in the same network shares the quota
    await trusted.http().get('/legacy').set('X-Forwarded-For', '2001:db8:1:2::1').expect(200);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '2001:db8:1:2::ffff').expect(200);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '2001:db8:1:2:aa::9').expect(429);
    await trusted.http().get('/legacy').set('X-Forwarded-For', '2001:db8:1:3::1').expect(200);
  });
});
