/**
 * Which limits apply where: module defaults, controller and route settings (a route beats its
 * controller), @SkipRateLimit, the module's skip function, and a global guard plus a route guard
 * counting a request once. Also the module's registration: forRootAsync and KvsModule stores.
 */
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  createMemoryStore,
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  RateLimitModule,
  SkipRateLimit,
  type RateLimitModuleOptions,
  type RateLimitOptionsFactory,
} from '../../lib/index.js';
import { boot, clock } from './rate-limit.http.js';

@Controller('plain')
class PlainController {
  @Get('default')
  byDefault(): string {
    return 'ok';
  }

  @Get('own')
  @RateLimit({ limit: 1, window: 60_000 })
  own(): string {
    return 'ok';
  }

  @Get('skipped')
  @SkipRateLimit()
  skipped(): string {
    return 'ok';
  }
}

@Controller('limited')
@RateLimit({ limit: 2, window: 60_000, name: 'controller' })
class LimitedController {
  @Get('inherits')
  inherits(): string {
    return 'ok';
  }

  @Get('overrides')
  @RateLimit({ limit: 4, window: 60_000, name: 'route' })
  overrides(): string {
    return 'ok';
  }

  @Get('skipped')
  @SkipRateLimit()
  skipped(): string {
    return 'ok';
  }
}

@Controller('exempt')
@SkipRateLimit()
class ExemptController {
  @Get('free')
  free(): string {
    return 'ok';
  }

  @Get('own')
  @RateLimit({ limit: 1, window: 60_000 })
  own(): string {
    return 'ok';
  }

  @Get('opted-in')
  @SkipRateLimit(false)
  optedIn(): string {
    return 'ok';
  }
}

@Controller('twice')
@UseGuards(RateLimitGuard)
class TwiceController {
  @Get()
  @RateLimit({ limit: 3, window: 60_000 })
  @UseGuards(RateLimitGuard)
  twice(): string {
    return 'ok';
  }
}

const CONTROLLERS = [PlainController, LimitedController, ExemptController, TwiceController];

function appWith(options: RateLimitModuleOptions, global = true) {
  return {
    imports: [
      RateLimitModule.forRoot({ store: createMemoryStore(), clock: clock.read, ...options }),
    ],
    controllers: CONTROLLERS,
    providers: global ? [{ provide: APP_GUARD, useClass: RateLimitGuard }] : [],
  };
}

/** How many requests in a row get through (up to 10). */
async function admitted(http: () => import('supertest').Agent, path: string): Promise<number> {
  for (let n = 0; n < 10; n++) {
    const res = await http().get(path);
    if (res.status === 429) return n;
    expect(res.status).toBe(200);
  }
  return 10;
}

describe('which limits apply', () => {
  it('module defaults cover undecorated routes; a route or controller setting beats them', async () => {
    const { http } = await boot('express', appWith({ policies: { limit: 3, window: 60_000 } }));
    expect(await admitted(http, '/plain/default')).toBe(3);
    expect(await admitted(http, '/plain/own')).toBe(1);
    expect(await admitted(http, '/plain/skipped')).toBe(10);
    expect(await admitted(http, '/limited/inherits')).toBe(2);
    expect(await admitted(http, '/limited/overrides')).toBe(4);
    expect(await admitted(http, '/limited/skipped')).toBe(10);
  });

  it('without module defaults, only decorated routes are limited', async () => {
    const { http } = await boot('express', appWith({}));
    expect(await admitted(http, '/plain/default')).toBe(10);
    expect((await http().get('/plain/default')).headers['ratelimit']).toBeUndefined();
    expect(await admitted(http, '/plain/own')).toBe(1);
  });

  it("a controller's @SkipRateLimit yields to a route's own @RateLimit or @SkipRateLimit(false)", async () => {
    const { http } = await boot('express', appWith({ policies: { limit: 2, window: 60_000 } }));
    expect(await admitted(http, '/exempt/free')).toBe(10);
    expect(await admitted(http, '/exempt/own')).toBe(1);
    expect(await admitted(http, '/exempt/opted-in')).toBe(2);
  });

  it("skips requests the module's skip function picks", async () => {
    const { http } = await boot(
      'express',
      appWith({
        policies: { limit: 1, window: 60_000 },
        skip: (ctx) =>
          ctx.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
            'x-internal'
          ] === 'yes',
      }),
    );
    for (let i = 0; i < 5; i++)
      await http().get('/plain/default').set('x-internal', 'yes').expect(200);
    await http().get('/plain/default').expect(200);
    await http().get('/plain/default').expect(429);
  });

  it.each([
    ['global guard + controller and route guards', true],
    ['controller and route guards only', false],
  ])('counts a request once with a %s', async (_name, global) => {
    const { http } = await boot('fastify', appWith({}, global));
    for (const remaining of [2, 1, 0]) {
      const res = await http().get('/twice').expect(200);
      expect(res.headers['ratelimit']).toBe(`"3-in-60s";r=${remaining};t=120`);
    }
    await http().get('/twice').expect(429);
  });
});

describe('RateLimitModule registration', () => {
  it('uses a named KvsModule store, with options from forRootAsync and an injectable RateLimiter', async () => {
    @Injectable()
    class Settings {
      readonly limit = 2;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}

    const { app, http } = await boot('express', {
      imports: [
        KvsModule.forRoot({ name: 'limits', type: 'memory' }),
        RateLimitModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (s: Settings) => ({
            store: 'limits',
            clock: clock.read,
            policies: { limit: s.limit, window: 60_000 },
          }),
        }),
      ],
      controllers: CONTROLLERS,
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    });
    expect(await admitted(http, '/plain/default')).toBe(2);
    const limiter = app.get(RateLimiter);
    expect((await limiter.consume('job:1', { limit: 1, window: 1000 })).allowed).toBe(true);
    expect((await limiter.consume('job:1', { limit: 1, window: 1000 })).allowed).toBe(false);
  });

  it('takes options from a class (useClass)', async () => {
    @Injectable()
    class LimitsConfig implements RateLimitOptionsFactory {
      createRateLimitOptions(): RateLimitModuleOptions {
        return {
          store: createMemoryStore(),
          headers: 'legacy',
          policies: { limit: 1, window: 1000 },
        };
      }
    }
    const { http } = await boot('express', {
      imports: [RateLimitModule.forRootAsync({ useClass: LimitsConfig })],
      controllers: CONTROLLERS,
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    });
    expect((await http().get('/plain/default').expect(200)).headers['x-ratelimit-limit']).toBe('1');
  });

  it('fails at startup without a store, naming the fix', async () => {
    await expect(
      boot('express', { imports: [RateLimitModule.forRoot({})], controllers: CONTROLLERS }),
    ).rejects.toThrow(
      /needs KvsModule's default store, and none is registered. Add KvsModule.forRoot\(\)/,
    );
  });

  it('rejects bad options when the module is declared', () => {
    expect(() => RateLimitModule.forRoot({ headers: 'draft-9' as 'draft-8' })).toThrow(
      /headers: expected 'legacy', 'draft-6', 'draft-7', 'draft-8' or false, got a string \(7 chars\)/,
    );
    expect(() => RateLimitModule.forRoot({ onStoreError: 'retry' as 'deny' })).toThrow(
      /onStoreError: expected 'allow', 'deny' or 'local'/,
    );
    expect(() => RateLimitModule.forRoot({ timeout: 0 })).toThrow(/timeout must be a number/);
    expect(() => RateLimitModule.forRoot({ policies: { limit: 10, window: -1 } })).toThrow(
      /window must be a whole number of milliseconds >= 1, got -1/,
    );
    expect(() => RateLimitModule.forRootAsync({})).toThrow(
      /exactly one of useFactory, useClass or useExisting/,
    );
    expect(() => RateLimit({ limit: 1, window: 1000, cost: 2 })).toThrow(
      /cost 2 exceeds the limit 1/,
    );
  });
});
