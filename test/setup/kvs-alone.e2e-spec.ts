/**
 * KvsModule alone makes caching and rate limiting work on the default store; KvsCacheModule and
 * RateLimitModule, registered before or after it, only change their settings or turn them off;
 * misuse fails at startup (or, for a @RateLimit route no guard covers, warns) naming the fix.
 * On memory and on Redis.
 */
import { jest } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Logger,
  Module,
  Param,
  UseGuards,
  type DynamicModule,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  Cacheable,
  CacheEvict,
  CachePut,
  getKvsToken,
  InjectKvs,
  KvsCache,
  KvsCacheModule,
  KvsModule,
  RateLimit,
  RateLimitGuard,
  RateLimiter,
  RateLimitModule,
  SkipRateLimit,
  type KvsModuleOptions,
  type KvsStore,
} from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';

const redis = useRedisServer();

// readme: kvs-alone
@Injectable()
class Products {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  // Cached for a minute (the default ttl) in the default store, under 'cache:product:<id>'.
  @Cacheable({ key: (id: string) => `product:${id}` })
  async find(id: string): Promise<{ id: string; loads: number }> {
    return { id, loads: await this.store.increment(`loads:${id}`) };
  }
}

@Controller('products')
@UseGuards(RateLimitGuard)
class ProductsController {
  constructor(private readonly products: Products) {}

  @Get(':id')
  @RateLimit({ limit: 3, window: '1m' }) // 3 a minute per client IP
  find(@Param('id') id: string): Promise<{ id: string; loads: number }> {
    return this.products.find(id);
  }
}

@Module({
  imports: [KvsModule.forRoot()], // memory; or { type: 'redis', url, keyPrefix }
  controllers: [ProductsController],
  providers: [Products],
})
class AppModule {}
// readme: end

describe('the README app: KvsModule alone', () => {
  it('injects the store, caches, and limits', async () => {
    const { http } = await boot([AppModule]);
    expect((await http().get('/products/p1').expect(200)).body).toEqual({ id: 'p1', loads: 1 });
    expect((await http().get('/products/p1').expect(200)).body).toEqual({ id: 'p1', loads: 1 });
    await http().get('/products/p1').expect(200);
    await http().get('/products/p1').expect(429);
  });
});

@Injectable()
class Catalog {
  calls = 0;

  @Cacheable({ key: (id: string) => `item:${id}` })
  async item(id: string): Promise<{ id: string; call: number }> {
    this.calls++;
    return { id, call: this.calls };
  }

  @CachePut({ key: (id: string) => `item:${id}` })
  async refresh(id: string): Promise<{ id: string; call: number }> {
    this.calls++;
    return { id, call: this.calls };
  }

  @CacheEvict({ key: (id: string) => `item:${id}` })
  async drop(_id: string): Promise<void> {}
}

@Controller('items')
class ItemsController {
  calls = 0;

  constructor(private readonly catalog: Catalog) {}

  @Get('limited')
  @UseGuards(RateLimitGuard)
  @RateLimit({ limit: 2, window: '1m' })
  limited(): string {
    return 'ok';
  }

  @Get('free')
  @UseGuards(RateLimitGuard)
  @SkipRateLimit()
  free(): string {
    return 'ok';
  }

  @Get('cached/:id')
  @Cacheable({ key: (id: string) => `route:${id}` })
  async cached(@Param('id') id: string): Promise<{ id: string; call: number }> {
    this.calls++;
    return { id, call: this.calls };
  }

  @Get('item/:id')
  item(@Param('id') id: string): Promise<{ id: string; call: number }> {
    return this.catalog.item(id);
  }
}

@Module({ controllers: [ItemsController], providers: [Catalog] })
class ItemsModule {}

/** The smallest app: KvsModule alone, an injected store, @Cacheable and the guard. */
async function boot(imports: ModuleMetadata['imports'], extra: ModuleMetadata = {}) {
  const moduleRef = await Test.createTestingModule({ ...extra, imports }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  redis.closeAfterTest(app);
  return { app, http: () => request(app.getHttpServer()) };
}

/** The error `boot` rejects with. */
async function failure(imports: ModuleMetadata['imports'], extra?: ModuleMetadata) {
  try {
    await boot(imports, extra);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected startup to fail');
}

/** KvsModule.forRoot with `options`, and a feature module that registers `settings` in it. */
function withSettings(
  order: 'before' | 'after',
  options: KvsModuleOptions,
  settings: DynamicModule[],
): ModuleMetadata['imports'] {
  @Module({ imports: settings })
  class SettingsModule {}
  const kvs = KvsModule.forRoot({ ...options, isGlobal: true });
  return order === 'before'
    ? [SettingsModule, kvs, ItemsModule]
    : [kvs, ItemsModule, SettingsModule];
}

describe.each(redis.moduleOptions({ keyPrefix: 'alone:' }))(
  'KvsModule alone on %s',
  (_, options) => {
    beforeEach(() => redis.flush());

    it('caches @Cacheable methods of a service and of a controller, with @CachePut and @CacheEvict', async () => {
      const { app, http } = await boot([KvsModule.forRoot(options()), ItemsModule]);
      const catalog = app.get(Catalog);
      expect(await catalog.item('a')).toEqual({ id: 'a', call: 1 });
      expect(await catalog.item('a')).toEqual({ id: 'a', call: 1 });
      expect(await catalog.refresh('a')).toEqual({ id: 'a', call: 2 });
      expect(await catalog.item('a')).toEqual({ id: 'a', call: 2 });
      await catalog.drop('a');
      expect(await catalog.item('a')).toEqual({ id: 'a', call: 3 });
      expect((await http().get('/items/cached/x').expect(200)).body).toEqual({ id: 'x', call: 1 });
      expect((await http().get('/items/cached/x').expect(200)).body).toEqual({ id: 'x', call: 1 });
      // The default namespace 'cache', in the default store.
      expect(await app.get<KvsStore>(getKvsToken()).has('cache:route:x')).toBe(true);
    });

    it('injects KvsCache over the same entries', async () => {
      const { app } = await boot([
        KvsModule.forRoot({ ...options(), isGlobal: true }),
        ItemsModule,
      ]);
      await app.get(Catalog).item('b');
      const cache = app.get(KvsCache);
      expect(await cache.get('item:b')).toEqual({ id: 'b', call: 1 });
      expect(await cache.wrap('w', () => 1)).toBe(1);
      expect(await cache.wrap('w', () => 2)).toBe(1);
    });

    it('limits a @RateLimit route under @UseGuards(RateLimitGuard), and injects RateLimiter', async () => {
      const { app, http } = await boot([KvsModule.forRoot(options()), ItemsModule]);
      await http().get('/items/limited').expect(200);
      const second = await http().get('/items/limited').expect(200);
      expect(second.headers['ratelimit']).toBeDefined();
      await http().get('/items/limited').expect(429);
      for (let i = 0; i < 3; i++) await http().get('/items/free').expect(200);
      const limiter = app.get(RateLimiter);
      expect((await limiter.consume('job', { limit: 1, window: 60_000 })).allowed).toBe(true);
      expect((await limiter.consume('job', { limit: 1, window: 60_000 })).allowed).toBe(false);
    });

    it.each(['before', 'after'] as const)(
      'takes settings from KvsCacheModule and RateLimitModule registered %s it',
      async (order) => {
        const { app, http } = await boot(
          withSettings(order, options(), [
            KvsCacheModule.forRoot({ namespace: 'tuned' }),
            RateLimitModule.forRoot({ headers: 'legacy' }),
          ]),
        );
        await app.get(Catalog).item('c');
        const store = app.get<KvsStore>(getKvsToken());
        expect(await store.has('tuned:item:c')).toBe(true);
        expect(await store.has('cache:item:c')).toBe(false);
        const res = await http().get('/items/limited').expect(200);
        expect(res.headers['x-ratelimit-limit']).toBe('2');
        expect(res.headers['ratelimit']).toBeUndefined();
      },
    );

    it('takes settings from forRootAsync too', async () => {
      const { app } = await boot([
        KvsModule.forRootAsync({ useFactory: () => options(), isGlobal: true }),
        KvsCacheModule.forRootAsync({ useFactory: () => ({ namespace: 'async' }) }),
        ItemsModule,
      ]);
      await app.get(Catalog).item('d');
      expect(await app.get<KvsStore>(getKvsToken()).has('async:item:d')).toBe(true);
    });

    it('turns caching and rate limiting off with enabled: false: methods and routes run as they are', async () => {
      const { app, http } = await boot(
        withSettings('after', options(), [
          KvsCacheModule.forRoot({ enabled: false }),
          RateLimitModule.forRoot({ enabled: false }),
        ]),
      );
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const catalog = app.get(Catalog);
      expect(await catalog.item('e')).toEqual({ id: 'e', call: 1 });
      expect(await catalog.item('e')).toEqual({ id: 'e', call: 2 });
      expect(await app.get(KvsCache).wrap('w', () => 1)).toBe(1);
      expect(await app.get(KvsCache).wrap('w', () => 2)).toBe(2);
      for (let i = 0; i < 4; i++) {
        const res = await http().get('/items/limited').expect(200);
        expect(res.headers['ratelimit']).toBeUndefined();
      }
      expect(await app.get<KvsStore>(getKvsToken()).list()).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
      warn.mockRestore();
    });
  },
);

describe('named stores only', () => {
  @Injectable()
  class Named {
    calls = 0;
    @Cacheable({ store: 'main' })
    async value(): Promise<number> {
      return ++this.calls;
    }
  }

  @Controller('plain')
  class PlainController {
    @Get()
    get(): string {
      return 'ok';
    }
  }

  it('starts when nothing needs the default store, and caches in a named one', async () => {
    const { app, http } = await boot([KvsModule.forRoot({ type: 'memory', name: 'main' })], {
      controllers: [PlainController],
      providers: [Named],
    });
    await http().get('/plain').expect(200);
    expect(await app.get(Named).value()).toBe(1);
    expect(await app.get(Named).value()).toBe(1);
  });

  it('fails at startup for a decorated method on the default store, naming the method and the fix', async () => {
    const err = await failure([KvsModule.forRoot({ type: 'memory', name: 'main' })], {
      providers: [Catalog],
    });
    expect(err.message).toMatch(
      /@Cacheable\(\) on Catalog\.item found no default store\. Register it with KvsModule\.forRoot\(\)/,
    );
  });

  it('fails at startup for a method whose store is not registered', async () => {
    @Injectable()
    class Lost {
      @Cacheable({ store: 'nope' })
      async value(): Promise<number> {
        return 1;
      }
    }
    const err = await failure([KvsModule.forRoot()], { providers: [Lost] });
    expect(err.message).toMatch(/@Cacheable\(\) on Lost\.value found no store named "nope"/);
  });

  it('fails at startup for a guarded @RateLimit route without a default store, naming the fix', async () => {
    @Controller('limited')
    class LimitedController {
      @Get()
      @UseGuards(RateLimitGuard)
      @RateLimit({ limit: 1, window: '1m' })
      get(): string {
        return 'ok';
      }
    }
    const err = await failure([KvsModule.forRoot({ type: 'memory', name: 'main' })], {
      controllers: [LimitedController],
    });
    expect(err.message).toMatch(
      /Rate limiting needs KvsModule's default store, and none is registered\. Add KvsModule\.forRoot\(\)/,
    );
  });
});

describe('misuse', () => {
  @Controller('open')
  class OpenController {
    @Get()
    @RateLimit({ limit: 1, window: '1m' })
    list(): string {
      return 'ok';
    }
  }

  class StrictGuard extends RateLimitGuard {}

  /** The warnings logged while `run` starts an app. */
  async function warnings(run: () => Promise<unknown>): Promise<string[]> {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await run();
      return warn.mock.calls.map((c) => String(c[0]));
    } finally {
      warn.mockRestore();
    }
  }

  it('warns at startup about a @RateLimit route that no guard covers, naming it and the fix', async () => {
    const logged = await warnings(() =>
      boot([KvsModule.forRoot()], { controllers: [OpenController] }),
    );
    expect(logged).toContain(
      '@RateLimit on OpenController.list is not enforced: no RateLimitGuard covers it; add ' +
        '@UseGuards(RateLimitGuard) or { provide: APP_GUARD, useClass: RateLimitGuard }.',
    );
  });

  it('does not warn when an APP_GUARD, a subclass, or a guard built by hand covers the route', async () => {
    const viaAppGuard = await warnings(() =>
      boot([KvsModule.forRoot()], {
        controllers: [OpenController],
        providers: [{ provide: APP_GUARD, useClass: StrictGuard }],
      }),
    );
    @Controller('sub')
    @UseGuards(StrictGuard)
    class SubController {
      @Get()
      @RateLimit({ limit: 1, window: '1m' })
      list(): string {
        return 'ok';
      }
    }
    const viaSubclass = await warnings(() =>
      boot([KvsModule.forRoot()], { controllers: [SubController] }),
    );
    const byHand = await warnings(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [KvsModule.forRoot()],
        controllers: [OpenController],
      }).compile();
      const app: INestApplication = redis.closeAfterTest(
        moduleRef.createNestApplication({ logger: false }),
      );
      app.useGlobalGuards(
        new RateLimitGuard(app.get(RateLimiter), app.get(Reflector), app.get(HttpAdapterHost)),
      );
      await app.init();
      await request(app.getHttpServer()).get('/open').expect(200);
      await request(app.getHttpServer()).get('/open').expect(429);
    });
    for (const logged of [viaAppGuard, viaSubclass, byHand]) {
      expect(logged.filter((l) => l.includes('is not enforced'))).toEqual([]);
    }
  });

  it('fails at startup when the guard has no RateLimiter, naming the fix', async () => {
    @Controller('guarded')
    @UseGuards(RateLimitGuard)
    class GuardedController {
      @Get()
      get(): string {
        return 'ok';
      }
    }
    const err = await failure([], { controllers: [GuardedController] });
    expect(err.message).toMatch(
      /RateLimitGuard needs the RateLimiter that KvsModule provides.*import KvsModule\.forRoot\(\)/,
    );
  });

  it('fails at startup when RateLimitModule is registered twice, and rejects isGlobal: false', async () => {
    @Module({ imports: [RateLimitModule.forRoot({ headers: 'legacy' })] })
    class Other {}
    const err = await failure([KvsModule.forRoot(), RateLimitModule.forRoot(), Other]);
    expect(err.message).toMatch(/RateLimitModule is registered twice/);
    expect(() => RateLimitModule.forRoot({ isGlobal: false })).toThrow(
      /isGlobal: the settings apply to the whole application/,
    );
  });

  it('rejects a non-boolean enabled', () => {
    expect(() => KvsCacheModule.forRoot({ enabled: 'no' as never })).toThrow(
      /option enabled: expected true or false/,
    );
    expect(() => RateLimitModule.forRoot({ enabled: 0 as never })).toThrow(
      /enabled must be true or false/,
    );
  });
});
