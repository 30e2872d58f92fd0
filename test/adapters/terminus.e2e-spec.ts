/**
 * nestjs-kvs/terminus: a /health route with TerminusModule and KvsHealthIndicator over the memory
 * store and real redis-server processes, including one that stops and one that stalls.
 */
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { createMemoryStore, KvsModule, type KvsModuleOptions } from '../../lib/index.js';
import { KvsHealthIndicator } from '../../lib/adapters/terminus/index.js';
import { useRedisServer } from '../support/backends.js';
import { startRedis } from '../support/redis-servers.js';

// readme: terminus
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kvs: KvsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.kvs.isHealthy('kvs', { timeout: 500 })]);
  }
}

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [KvsHealthIndicator],
})
class HealthModule {}
// readme: end

const redis = useRedisServer();

async function boot(backend: KvsModuleOptions) {
  const moduleRef = await Test.createTestingModule({
    imports: [KvsModule.forRoot(backend), HealthModule],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false }); // terminus logs failed checks
  redis.closeAfterTest(app);
  await app.init();
  return { app, http: request(app.getHttpServer()) };
}

describe('KvsHealthIndicator', () => {
  it.each(redis.moduleOptions())('reports the store up (%s)', async (_name, kvs) => {
    const { http } = await boot(kvs());
    const res = await http.get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { kvs: { status: 'up' } } });
    expect(
      (res.body as { info: { kvs: { responseTime: number } } }).info.kvs.responseTime,
    ).toBeLessThan(500);
  });

  it('reports Redis down (503) once the server has stopped, without waiting', async () => {
    const doomed = await startRedis();
    const { http } = await boot({ type: 'redis', url: doomed.url });
    await http.get('/health').expect(200);
    await doomed.stop();
    const started = Date.now();
    const res = await http.get('/health').expect(503);
    expect(Date.now() - started).toBeLessThan(500);
    expect(res.body).toMatchObject({ status: 'error', error: { kvs: { status: 'down' } } });
    expect((res.body as { error: { kvs: { message: string } } }).error.kvs.message).toMatch(
      /Redis/,
    );
  });

  it('reports a stalled Redis down within the timeout', async () => {
    const stalled = await startRedis();
    const { http } = await boot({ type: 'redis', url: stalled.url });
    const sleeping = stalled.cli('DEBUG', 'SLEEP', '1'); // the server answers nobody for 1 s
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const res = await http.get('/health').expect(503);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(1_500);
    expect(res.body).toMatchObject({
      error: { kvs: { status: 'down', message: 'no answer within 500 ms (timeout)' } },
    });
    await sleeping;
  });

  it('checks a named store, or a store passed in', async () => {
    const { app } = await boot({ type: 'memory' });
    const indicator = app.get(KvsHealthIndicator);
    const closed = createMemoryStore();
    await closed.close();
    expect(await indicator.isHealthy('cache', { store: createMemoryStore() })).toMatchObject({
      cache: { status: 'up' },
    });
    expect(await indicator.isHealthy('cache', { store: closed })).toMatchObject({
      cache: { status: 'down', message: expect.stringMatching(/closed/) },
    });
    await expect(indicator.isHealthy('sessions', { store: 'sessions' })).rejects.toThrow(
      /KVS_STORE:sessions.*KvsModule.forRoot\(\{ name: 'sessions'/,
    );
    await expect(indicator.isHealthy('kvs', { timeout: 0 })).rejects.toThrow(/timeout/);
  });

  it('finds a named store registered elsewhere in the application', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KvsModule.forRoot({ type: 'memory', name: 'sessions' }), HealthModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    redis.closeAfterTest(app);
    await app.init();
    expect(
      await app.get(KvsHealthIndicator).isHealthy('sessions', { store: 'sessions' }),
    ).toMatchObject({ sessions: { status: 'up' } });
  });
});
