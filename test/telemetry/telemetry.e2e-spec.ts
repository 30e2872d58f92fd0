/**
 * OpenTelemetry metrics and spans, read back through the SDK's in-memory exporters: instrument
 * names, units, descriptions, attributes and counts, on the memory store and on a real Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import request from 'supertest';
import {
  Cacheable,
  configureKvsTelemetry,
  createMemoryStore,
  getKvsToken,
  KvsCache,
  KvsCacheModule,
  KvsInvalidArgumentError,
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  RateLimitModule,
  type KvsCacheModuleOptions,
  type KvsModuleOptions,
  type KvsStore,
  type RedisStore,
} from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { thrown } from '../support/thrown.js';
import { startTestSdk, type TestSdk } from './otel.fixtures.js';

const redis = useRedisServer();
let sdk: TestSdk;
let app: INestApplication | undefined;

beforeEach(() => {
  sdk = startTestSdk();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  configureKvsTelemetry({ metrics: true, traces: true, storeDurations: false }); // the defaults
  await sdk.close();
});

/** Polls `check` (an event the test cannot await: the publish is confirmed in the background). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Resolves when `count` calls have started. */
function calls(count: number) {
  let seen = 0;
  let reached!: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  return { done, hit: () => ++seen === count && reached() };
}

@Injectable()
class Catalog {
  runs = calls(2);
  fail = false;
  activeSpan: unknown;

  @Cacheable({ namespace: 'products', key: (id: string) => `p:${id}` })
  async find(id: string): Promise<{ id: string }> {
    this.runs.hit();
    this.activeSpan = trace.getActiveSpan();
    if (this.fail) throw new Error('database down');
    return { id };
  }
}

@Controller('limited')
class LimitedController {
  @Get()
  @RateLimit({ name: 'burst', limit: 2, window: '1m' })
  hit(): string {
    return 'ok';
  }
}

let now = 1_000_000;
async function start(
  store: KvsModuleOptions & { name?: string },
  rateTimeout?: number,
  cache: KvsCacheModuleOptions = {},
) {
  @Module({
    imports: [
      KvsModule.forRoot(store),
      KvsCacheModule.forRoot({
        ttl: 1000,
        staleTtl: 60_000,
        clock: () => now,
        ...(store.name !== undefined && { store: store.name }),
        ...cache,
      }),
      RateLimitModule.forRoot({
        ...(store.name !== undefined && { store: store.name }),
        ...(rateTimeout !== undefined && { timeout: rateTimeout }),
      }),
    ],
    providers: [Catalog, { provide: APP_GUARD, useClass: RateLimitGuard }],
    controllers: [LimitedController],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, catalog: app.get(Catalog), cache: app.get(KvsCache) };
}

describe('cache metrics', () => {
  it('counts lookups by result and namespace, and loads, as monotonic counters', async () => {
    const { catalog, cache } = await start({ type: 'memory' });
    await catalog.find('1'); // miss, load
    await catalog.find('1'); // hit
    now += 1500;
    await catalog.find('1'); // stale, background refresh (a load)
    await catalog.runs.done;
    await cache.lookup('absent'); // miss in the module's namespace

    const lookups = await sdk.metric('kvs.cache.lookups');
    expect(lookups?.descriptor).toMatchObject({
      unit: '{lookup}',
      description: 'Cache lookups, by result: hit, local_hit, stale, miss.',
    });
    expect(lookups?.dataPointType).toBe(DataPointType.SUM);
    expect(lookups?.dataPointType === DataPointType.SUM && lookups.isMonotonic).toBe(true);
    expect(await sdk.points('kvs.cache.lookups')).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'miss' }, value: 1 },
        { attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'hit' }, value: 1 },
        {
          attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'stale' },
          value: 1,
        },
        { attributes: { 'kvs.cache.namespace': 'cache', 'kvs.cache.result': 'miss' }, value: 1 },
      ]),
    );
    expect(await sdk.points('kvs.cache.lookups')).toHaveLength(4);
    expect(await sdk.points('kvs.cache.loads')).toEqual([
      { attributes: { 'kvs.cache.namespace': 'products' }, value: 2 },
    ]);
    expect((await sdk.metric('kvs.cache.loads'))?.descriptor.unit).toBe('{load}');
  });

  it('does not time the memory store', async () => {
    const { catalog } = await start({ type: 'memory' });
    await catalog.find('1');
    expect(await sdk.metric('kvs.cache.lookups')).toBeDefined();
    expect(await sdk.metric('kvs.store.operation.duration')).toBeUndefined();
  });

  it('counts nothing and makes no span once both are turned off', async () => {
    // readme: otel-off
    configureKvsTelemetry({ metrics: false, traces: false }); // whole process, at once
    // readme: end
    const { catalog } = await start({ type: 'memory' });
    await catalog.find('1');
    expect(await sdk.metric('kvs.cache.lookups')).toBeUndefined();
    expect(sdk.spans()).toEqual([]);
    configureKvsTelemetry({ traces: true }); // spans come back at once (metrics stay off)
    await catalog.find('2');
    expect(sdk.spans().map((s) => s.name)).toEqual(['kvs.cache.load']);
    expect(await sdk.metric('kvs.cache.lookups')).toBeUndefined();
  });
});

describe('store and cache metrics on Redis', () => {
  beforeEach(() => redis.flush());

  it('times each store operation with its name, backend and registration name', async () => {
    // readme: otel-store-durations
    configureKvsTelemetry({ storeDurations: true }); // time every operation of the Redis stores
    // readme: end
    await start({ type: 'redis', url: redis.server.url, name: 'main', keyPrefix: 'm:' });
    const store = app!.get<KvsStore>(getKvsToken('main'));
    await store.set('a', Buffer.from('x'));
    await store.tryGet('a');
    await store.tryGet('b');
    await expect(store.increment('a')).rejects.toMatchObject({ code: 'KVS_VALUE_TYPE' });
    // The limiter runs its script through the timed view: storeKind() still sees a Redis store.
    await request(app!.getHttpServer()).get('/limited').expect(200);

    const duration = await sdk.metric('kvs.store.operation.duration');
    expect(duration?.descriptor).toMatchObject({
      unit: 's',
      description: 'Duration of operations on a store registered by KvsModule.',
    });
    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const base = { 'kvs.backend': 'redis', 'kvs.store': 'main' };
    const points = await sdk.points('kvs.store.operation.duration');
    expect(points).toEqual(
      expect.arrayContaining([
        { attributes: { ...base, 'kvs.operation': 'set' }, value: 1 },
        { attributes: { ...base, 'kvs.operation': 'tryGet' }, value: 2 },
        { attributes: { ...base, 'kvs.operation': 'evalScript' }, value: 1 },
        {
          attributes: { ...base, 'kvs.operation': 'increment', 'error.type': 'KVS_VALUE_TYPE' },
          value: 1,
        },
      ]),
    );
    const [point] = duration!.dataPoints as { value: { sum: number; max?: number } }[];
    expect(point!.value.sum).toBeGreaterThan(0);
    expect(point!.value.max).toBeLessThan(5); // seconds, not milliseconds
  });

  it('counts hits of the local tier as local_hit, and the invalidations it publishes', async () => {
    const { catalog, cache } = await start(
      { type: 'redis', url: redis.server.url, keyPrefix: 'l:' },
      undefined,
      { local: true },
    );
    await catalog.find('1'); // miss: loaded, written (an invalidation for the other instances)
    await catalog.find('1'); // local hit
    await cache.delete('p:1', { namespace: 'products' }); // a second invalidation
    await until(() => cache.stats().invalidationsSent === 2);
    expect(await sdk.points('kvs.cache.lookups')).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'miss' }, value: 1 },
        {
          attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'local_hit' },
          value: 1,
        },
      ]),
    );
    expect(await sdk.points('kvs.cache.invalidations.sent')).toEqual([
      { attributes: {}, value: 2 },
    ]);
    expect(cache.stats()).toMatchObject({ localHits: 1, invalidationsSent: 2 });
  });

  it('times nothing by default (storeDurations is off), and still counts', async () => {
    const { catalog } = await start({ type: 'redis', url: redis.server.url, keyPrefix: 'd:' });
    await catalog.find('1');
    expect(await sdk.metric('kvs.store.operation.duration')).toBeUndefined();
    expect(await sdk.points('kvs.cache.lookups')).toHaveLength(1);
  });

  it('applies storeDurations at once, to a store created before', async () => {
    await start({ type: 'redis', url: redis.server.url, keyPrefix: 't:' });
    const store = app!.get<KvsStore>(getKvsToken());
    // The timed view forwards the store's getters (they read its private fields) and fields.
    expect([(store as RedisStore).keyPrefix, store.backend]).toEqual(['t:', 'redis']);
    await store.set('a', Buffer.from('x')); // not timed
    configureKvsTelemetry({ storeDurations: true });
    await store.tryGet('a');
    configureKvsTelemetry({ storeDurations: false });
    await store.tryGet('a'); // not timed
    expect(await sdk.points('kvs.store.operation.duration')).toEqual([
      {
        attributes: { 'kvs.backend': 'redis', 'kvs.store': 'default', 'kvs.operation': 'tryGet' },
        value: 1,
      },
    ]);
  });

  it('counts a failed store step in kvs.cache.errors, and the call as a miss', async () => {
    configureKvsTelemetry({ storeDurations: true });
    const { catalog } = await start({ type: 'redis', url: redis.server.url, keyPrefix: 'e:' });
    await redis.server.cli('HSET', 'e:products:p:1', 'f', 'v'); // not a string: the read fails
    await expect(catalog.find('1')).resolves.toEqual({ id: '1' });
    expect(await sdk.points('kvs.cache.errors')).toEqual([
      { attributes: { 'kvs.operation': 'get', 'error.type': 'KVS_VALUE_TYPE' }, value: 1 },
    ]);
    expect(await sdk.points('kvs.cache.lookups')).toEqual([
      { attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'miss' }, value: 1 },
    ]);
    expect(await sdk.points('kvs.store.operation.duration')).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            'kvs.backend': 'redis',
            'kvs.store': 'default',
            'kvs.operation': 'tryGet',
            'error.type': 'KVS_VALUE_TYPE',
          },
          value: 1,
        },
      ]),
    );
  });
});

describe('rate-limit decisions', () => {
  it('counts allowed and refused decisions under the binding policy, a span each', async () => {
    await start({ type: 'memory' });
    for (const status of [200, 200, 429]) {
      await request(app!.getHttpServer()).get('/limited').expect(status);
    }
    const decisions = await sdk.metric('kvs.ratelimit.decisions');
    expect(decisions?.descriptor).toMatchObject({
      unit: '{decision}',
      description: 'Rate-limit decisions, by outcome and policy.',
    });
    expect(await sdk.points('kvs.ratelimit.decisions')).toEqual(
      expect.arrayContaining([
        {
          attributes: { 'kvs.ratelimit.outcome': 'allowed', 'kvs.ratelimit.policy': 'burst' },
          value: 2,
        },
        {
          attributes: { 'kvs.ratelimit.outcome': 'refused', 'kvs.ratelimit.policy': 'burst' },
          value: 1,
        },
      ]),
    );
    const spans = sdk.spans().filter((s) => s.name === 'kvs.ratelimit.decision');
    expect(spans.map((s) => s.attributes['kvs.ratelimit.outcome'])).toEqual([
      'allowed',
      'allowed',
      'refused',
    ]);
    expect(spans[2]!.attributes).toMatchObject({
      'kvs.ratelimit.policy': 'burst',
      'kvs.ratelimit.policies': ['burst'],
    });
  });

  it('counts consume() but not peek(), which spends nothing', async () => {
    const limiter = new RateLimiter({ store: createMemoryStore() });
    const policy = { name: 'api', limit: 5, window: 60_000 };
    await limiter.consume('k', policy);
    await expect(limiter.peek('k', policy)).resolves.toMatchObject({ remaining: 4 });
    expect(await sdk.points('kvs.ratelimit.decisions')).toEqual([
      {
        attributes: { 'kvs.ratelimit.outcome': 'allowed', 'kvs.ratelimit.policy': 'api' },
        value: 1,
      },
    ]);
    expect(sdk.spans().map((s) => s.name)).toEqual(['kvs.ratelimit.decision']);
  });

  it('counts a decision the store could not make as an error', async () => {
    await start({ type: 'redis', url: redis.server.url, keyPrefix: 'r:' }, 200);
    process.kill(redis.server.pid!, 'SIGSTOP');
    try {
      // onStoreError 'allow' (the default) lets the request through; the outcome is still an error.
      await request(app!.getHttpServer()).get('/limited').expect(200);
    } finally {
      process.kill(redis.server.pid!, 'SIGCONT');
    }
    expect(await sdk.points('kvs.ratelimit.decisions')).toEqual([
      {
        attributes: { 'kvs.ratelimit.outcome': 'error', 'kvs.ratelimit.policy': 'burst' },
        value: 1,
      },
    ]);
    const [span] = sdk.spans().filter((s) => s.name === 'kvs.ratelimit.decision');
    expect(span?.attributes).toMatchObject({
      'kvs.ratelimit.outcome': 'error',
      'error.type': 'KVS_CONNECTION', // the limiter's timeout is a KvsConnectionError
    });
  }, 30_000);
});

describe('rate-limit decision spans on Redis', () => {
  it('are active while the script runs, so Redis command spans are their children', async () => {
    const store = (await redis.redisStore({ keyPrefix: 's:' })) as RedisStore;
    const active: (string | undefined)[] = [];
    const evalScript = store.evalScript.bind(store);
    store.evalScript = (...args) => {
      active.push(trace.getActiveSpan()?.spanContext().spanId);
      return evalScript(...args);
    };
    const limiter = new RateLimiter({ store });
    await expect(
      limiter.consume('k', { name: 'p', limit: 1, window: 60_000 }),
    ).resolves.toMatchObject({
      allowed: true,
    });
    const spans = sdk.spans().filter((s) => s.name === 'kvs.ratelimit.decision');
    expect(spans).toHaveLength(1);
    expect(active).toEqual([spans[0]!.spanContext().spanId]);
    expect(spans[0]!.attributes).toMatchObject({ 'kvs.ratelimit.outcome': 'allowed' });
  });
});

describe('cache load spans', () => {
  it('makes a span per load, a child of the active span and active while the load runs', async () => {
    const { catalog } = await start({ type: 'memory' });
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('request', async (parent) => {
      await catalog.find('1');
      await catalog.find('1'); // a hit: no load, no span
      parent.end();
    });
    const [load, parent] = sdk.spans();
    expect(sdk.spans()).toHaveLength(2);
    expect(load).toMatchObject({
      name: 'kvs.cache.load',
      attributes: { 'kvs.cache.namespace': 'products', 'code.function': 'Catalog.find' },
    });
    expect(load!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(load!.spanContext().traceId).toBe(parent!.spanContext().traceId);
    expect((catalog.activeSpan as typeof load)?.spanContext().spanId).toBe(
      load!.spanContext().spanId,
    );
  });

  it('marks the span of a failed load', async () => {
    const { catalog } = await start({ type: 'memory' });
    catalog.fail = true;
    await expect(catalog.find('1')).rejects.toThrow('database down');
    const [load] = sdk.spans();
    expect(load?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database down' });
    expect(load?.attributes['error.type']).toBe('Error');
    expect(load?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('makes none once traces are turned off', async () => {
    configureKvsTelemetry({ traces: false });
    const { catalog } = await start({ type: 'memory' });
    await catalog.find('1');
    expect(sdk.spans()).toEqual([]);
    expect(await sdk.points('kvs.cache.loads')).toHaveLength(1);
  });
});

describe('configureKvsTelemetry', () => {
  it('rejects unknown keys and values that are not booleans', () => {
    const bad = configureKvsTelemetry as (options: unknown) => void;
    const unknown = thrown(() => bad({ metric: false }));
    expect(unknown).toBeInstanceOf(KvsInvalidArgumentError);
    expect(unknown.message).toMatch(/Unknown option 'metric'.*Did you mean 'metrics'\?/);
    expect(thrown(() => bad({ traces: 'off' })).message).toMatch(
      /option traces: expected true or false, got a string/,
    );
    expect(thrown(() => bad(false)).message).toMatch(
      /expected an object such as \{ metrics: false \}/,
    );
  });
});
