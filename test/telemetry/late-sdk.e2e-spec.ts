/**
 * An OpenTelemetry SDK registered after the app was created (as an app that starts its SDK late
 * does): the cache, the store and the spans pick it up within RECHECK_EVERY hot-path calls.
 */
import { afterEach, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cacheable, configureKvsTelemetry, KvsCacheModule, KvsModule } from '../../lib/index.js';
import { RECHECK_EVERY } from '../../lib/telemetry/telemetry.state.js';
import { useRedisServer } from '../support/backends.js';
import { startTestSdk, type TestSdk } from './otel.fixtures.js';

const redis = useRedisServer();
let app: INestApplication | undefined;
let sdk: TestSdk | undefined;
afterEach(async () => {
  await app?.close();
  await sdk?.close();
  configureKvsTelemetry({ storeDurations: false }); // the default
  app = sdk = undefined;
});

@Injectable()
class Catalog {
  @Cacheable({ namespace: 'products', key: (id: string) => `p:${id}` })
  async find(id: string): Promise<{ id: string }> {
    return { id };
  }
}

it('counts, times and traces once an SDK is registered after the app was created', async () => {
  configureKvsTelemetry({ storeDurations: true });
  @Module({
    imports: [
      KvsModule.forRoot({ type: 'redis', url: redis.server.url, keyPrefix: 'late:' }),
      KvsCacheModule.forRoot({ ttl: 600_000 }),
    ],
    providers: [Catalog],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init(); // no SDK registered yet
  const catalog = app.get(Catalog);
  await catalog.find('1'); // a miss and a load, seen by no SDK

  sdk = startTestSdk();
  for (let i = 0; i < 2 * RECHECK_EVERY; i++) await catalog.find('1'); // hits
  await catalog.find('2'); // a miss and a load

  const lookups = await sdk.points('kvs.cache.lookups');
  const hits = lookups.find((p) => p.attributes['kvs.cache.result'] === 'hit')?.value ?? 0;
  // Picked up within RECHECK_EVERY calls (a hit makes two: the lookup and the store's tryGet).
  expect(hits).toBeGreaterThanOrEqual(RECHECK_EVERY);
  expect(hits).toBeLessThan(2 * RECHECK_EVERY);
  expect(lookups).toContainEqual({
    attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'miss' },
    value: 1,
  });
  const durations = await sdk.points('kvs.store.operation.duration');
  const tryGets = durations.find((p) => p.attributes['kvs.operation'] === 'tryGet')?.value ?? 0;
  expect(tryGets).toBeGreaterThanOrEqual(RECHECK_EVERY);
  expect(sdk.spans().map((s) => [s.name, s.attributes['code.function']])).toEqual([
    ['kvs.cache.load', 'Catalog.find'],
  ]);
});
