/**
 * KvsCacheModule wiring: forRoot/forRootAsync, named stores, feature modules, startup errors,
 * and shutdown.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Cacheable,
  getKvsToken,
  KvsCache,
  KvsCacheModule,
  KvsInvalidArgumentError,
  KvsModule,
  type KvsCacheModuleOptions,
  type KvsCacheOptionsFactory,
  type KvsStore,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';

let server: RedisServer;
const open: INestApplicationContext[] = [];
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});
afterAll(() => stopAll(), 30_000);

async function boot(imports: Parameters<typeof Test.createTestingModule>[0]['imports']) {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  open.push(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

async function failure(imports: Parameters<typeof Test.createTestingModule>[0]['imports']) {
  try {
    await boot(imports);
  } catch (err) {
    return err;
  }
  throw new Error('expected the application to fail to start');
}

@Injectable()
class Settings {
  readonly namespace = 'from-settings';
}
@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Injectable()
class Weather {
  runs = 0;

  @Cacheable({ key: (city: string) => `weather:${city}` })
  async forecast(city: string): Promise<string> {
    this.runs++;
    return `sunny in ${city}`;
  }

  @Cacheable({ key: 'alerts', store: 'fast' })
  async alerts(): Promise<string[]> {
    this.runs++;
    return [];
  }
}

@Module({ providers: [Weather], exports: [Weather] })
class WeatherModule {}

describe('KvsCacheModule', () => {
  it('takes options from forRootAsync (useFactory with inject, or useClass)', async () => {
    const app = await boot([
      KvsModule.forRoot(),
      KvsModule.forRoot({ type: 'memory', name: 'fast' }),
      KvsCacheModule.forRootAsync({
        imports: [SettingsModule],
        inject: [Settings],
        useFactory: (settings: Settings): KvsCacheModuleOptions => ({
          namespace: settings.namespace,
        }),
      }),
      WeatherModule,
    ]);
    await app.get(Weather).forecast('Oslo');
    expect(await app.get<KvsStore>(getKvsToken()).list()).toEqual(['from-settings:weather:Oslo']);

    @Injectable()
    class CacheConfig implements KvsCacheOptionsFactory {
      createKvsCacheOptions(): KvsCacheModuleOptions {
        return { namespace: 'from-class' };
      }
    }
    const other = await boot([
      KvsModule.forRoot(),
      KvsCacheModule.forRootAsync({ useClass: CacheConfig }),
    ]);
    await other.get(KvsCache).set('k', 1);
    expect(await other.get<KvsStore>(getKvsToken()).list()).toEqual(['from-class:k']);
  });

  it('caches in a named store, and per method in another one', async () => {
    const app = await boot([
      KvsModule.forRoot(),
      KvsModule.forRoot({ type: 'redis', name: 'shared', url: server.url, keyPrefix: 'named:' }),
      KvsModule.forRoot({ type: 'memory', name: 'fast' }),
      KvsCacheModule.forRoot({ store: 'shared' }),
      WeatherModule,
    ]);
    const weather = app.get(Weather);
    await weather.forecast('Rome');
    await weather.alerts();
    await weather.alerts();
    expect(weather.runs).toBe(2);
    expect(await app.get<KvsStore>(getKvsToken('shared')).list()).toEqual(['cache:weather:Rome']);
    expect(await app.get<KvsStore>(getKvsToken('fast')).list()).toEqual(['cache:alerts']);
    expect(await app.get<KvsStore>(getKvsToken()).list()).toEqual([]);
  });

  it('wires providers of feature modules that do not import it (it is global)', async () => {
    @Injectable()
    class Reader {
      constructor(readonly cache: KvsCache) {}
    }
    @Module({ imports: [WeatherModule], providers: [Reader], exports: [Reader] })
    class FeatureModule {}
    const app = await boot([
      KvsModule.forRoot(),
      KvsModule.forRoot({ type: 'memory', name: 'fast' }),
      FeatureModule,
      KvsCacheModule.forRoot(),
    ]);
    await app.get(Weather).forecast('Lima');
    expect(await app.get(Reader).cache.get('weather:Lima')).toBe('sunny in Lima');
  });

  it("fails startup when its store, or a method's store, is not registered", async () => {
    const missing = await failure([KvsCacheModule.forRoot()]);
    expect(missing).toBeInstanceOf(KvsInvalidArgumentError);
    expect((missing as Error).message).toMatch(/found no default store.*KvsModule\.forRoot\(\)/);
    const perMethod = await failure([KvsModule.forRoot(), KvsCacheModule.forRoot(), WeatherModule]);
    expect((perMethod as Error).message).toMatch(/no store named "fast"/);
  });

  it('fails startup when registered twice in one application', async () => {
    @Module({ imports: [KvsCacheModule.forRoot()] })
    class Other {}
    const err = await failure([KvsModule.forRoot(), KvsCacheModule.forRoot(), Other]);
    expect((err as Error).message).toMatch(/registered twice/);
  });

  it('rejects bad options when the module is declared', () => {
    expect(() => KvsCacheModule.forRoot({ ttl: -1 })).toThrow(/option ttl.*>= 0/);
    expect(() => KvsCacheModule.forRoot({ timeout: 0 })).toThrow(/option timeout.*>= 1/);
    expect(() => KvsCacheModule.forRoot({ namespace: '' })).toThrow(/option namespace/);
    expect(() => KvsCacheModule.forRoot({ ttl: 0, staleTtl: 5 })).toThrow(/needs a ttl > 0/);
    expect(() => KvsCacheModule.forRootAsync({})).toThrow(/exactly one of useFactory/);
  });

  it('runs methods directly once the application has shut down', async () => {
    const app = await boot([
      KvsModule.forRoot(),
      KvsModule.forRoot({ type: 'memory', name: 'fast' }),
      KvsCacheModule.forRoot(),
      WeatherModule,
    ]);
    const weather = app.get(Weather);
    await weather.forecast('Cairo');
    await app.close();
    open.splice(open.indexOf(app), 1);
    expect(await weather.forecast('Cairo')).toBe('sunny in Cairo');
    expect(weather.runs).toBe(2);
  });
});
