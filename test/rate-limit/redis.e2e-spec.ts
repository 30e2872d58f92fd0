/**
 * Rate limiting on a real redis-server: one round trip per decision, Redis's clock, scripts that
 * survive SCRIPT FLUSH and restarts, exact admission under concurrency, and the store failing
 * (stopped, or too slow) under both failure policies, logged without flooding.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Logger } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  createRedisStore,
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  RateLimitModule,
  type RateLimitModuleOptions,
  type RateLimitPolicy,
  type RedisStore,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { boot } from './rate-limit.http.js';

let server: RedisServer;
const stores: RedisStore[] = [];
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(async () => {
  jest.restoreAllMocks();
  if (!server.running) await server.restart();
});
afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await stopAll();
}, 30_000);

async function store(keyPrefix = ''): Promise<RedisStore> {
  const s = await createRedisStore({ url: server.url, keyPrefix, commandTimeout: 1000 });
  stores.push(s);
  return s;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const never = (): number => {
  throw new Error('the Redis path must not read the app clock');
};
const minute: RateLimitPolicy = { limit: 50, window: 60_000, name: 'minute' };

@Controller()
class ApiController {
  @Get('strict')
  @RateLimit({ limit: 2, window: 60_000 }, { onStoreError: 'deny' })
  strict(): string {
    return 'ok';
  }

  @Get('lenient')
  @RateLimit({ limit: 2, window: 60_000 })
  lenient(): string {
    return 'ok';
  }
}

function appWith(options: RateLimitModuleOptions = {}) {
  return {
    imports: [
      KvsModule.forRoot({
        type: 'redis',
        url: server.url,
        keyPrefix: 'app:',
        commandTimeout: 1000,
      }),
      RateLimitModule.forRoot({ clock: never, ...options }),
    ],
    controllers: [ApiController],
    providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
  };
}

describe('on Redis', () => {
  it('decides in one round trip, by SHA, under keys that share a hash tag', async () => {
    const limiter = new RateLimiter({ store: await store('one:') });
    const policies: RateLimitPolicy[] = [minute, { limit: 5, window: 1000, name: 'burst' }];
    await limiter.consume('client-a', policies);
    const client = new Redis(server.url);
    const monitor = await client.monitor(); // a second connection, in MONITOR mode
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen.push(args);
    });
    await sleep(50);
    for (let i = 0; i < 3; i++) await limiter.consume('client-a', policies);
    await sleep(100);
    monitor.disconnect();
    client.disconnect();
    expect(seen.map((args) => args[0]?.toLowerCase())).toEqual(['evalsha', 'evalsha', 'evalsha']);
    expect((await server.cli('KEYS', 'one:*')).split('\n').sort()).toEqual([
      'one:rl:{client-a}:burst:s',
      'one:rl:{client-a}:minute:s',
    ]);
    expect(Number(await server.cli('PTTL', 'one:rl:{client-a}:minute:s'))).toBeGreaterThan(60_000);
  });

  it("uses Redis's clock, and windows pass in real time", async () => {
    const limiter = new RateLimiter({ store: await store(), clock: never });
    const policy: RateLimitPolicy = { limit: 2, window: 1000, algorithm: 'fixed-window' };
    const key = `clock:${Date.now()}`;
    expect((await limiter.consume(key, policy)).allowed).toBe(true);
    expect((await limiter.consume(key, policy)).allowed).toBe(true);
    const refused = await limiter.consume(key, policy);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    await sleep(refused.retryAfterMs + 50);
    expect((await limiter.consume(key, policy)).allowed).toBe(true);
  });

  it('loads the script again after SCRIPT FLUSH and after a restart', async () => {
    const limiter = new RateLimiter({ store: await store() });
    expect((await limiter.consume('flush', minute)).remaining).toBe(49);
    await server.cli('SCRIPT', 'FLUSH');
    expect(await server.cli('SCRIPT', 'EXISTS', '0'.repeat(40))).toBe('0');
    expect((await limiter.consume('flush', minute)).remaining).toBe(48);
    await server.restart(); // no persistence: the counters go, the limiter carries on
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let after = await limiter.consume('flush', minute);
    for (let i = 0; i < 50 && after.storeError !== undefined; i++) {
      await sleep(100); // the connection comes back by itself
      after = await limiter.consume('flush', minute);
    }
    expect(after.storeError).toBeUndefined();
    expect(after.remaining).toBe(49);
  });

  it('admits exactly the limit from 500 concurrent requests', async () => {
    const limiter = new RateLimiter({ store: await store() });
    for (const algorithm of ['sliding-window', 'fixed-window', 'token-bucket'] as const) {
      const policy: RateLimitPolicy = { limit: 50, window: 600_000, algorithm };
      const decisions = await Promise.all(
        Array.from({ length: 500 }, () => limiter.consume(`burst:${algorithm}`, policy)),
      );
      expect({ algorithm, admitted: decisions.filter((d) => d.allowed).length }).toEqual({
        algorithm,
        admitted: 50,
      });
    }
  });

  it('follows onStoreError while Redis is down, per module and per route, and recovers', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { http } = await boot('express', appWith());
    await http().get('/lenient').expect(200);
    await server.kill();
    for (let i = 0; i < 20; i++) await http().get('/lenient').expect(200); // module: 'allow'
    const denied = await http().get('/strict').expect(503); // route: 'deny'
    expect(denied.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    // 21 failures, one log line per cause: the 20 allowed, then the denied one.
    const lines = warnings.mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.startsWith('Rate-limit store failed'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /Rate-limit store failed; allowing requests \(onStoreError: 'allow'\): Redis at .* is unreachable/,
    );
    expect(lines[1]).toMatch(/denying requests \(onStoreError: 'deny'\)/);
    await server.restart();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await http().get('/strict')).status === 200;
      if (!recovered) await sleep(100);
    }
    expect(recovered).toBe(true);
  }, 30_000);

  it("denies with 503 under the module's onStoreError: 'deny', and tells consume() callers why", async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { app, http } = await boot('fastify', appWith({ onStoreError: 'deny' }));
    await server.kill();
    await http().get('/lenient').expect(503);
    const decision = await app.get(RateLimiter).consume('job', minute);
    expect(decision).toMatchObject({ allowed: false, remaining: 0 });
    expect(decision.storeError?.name).toBe('KvsConnectionError');
    const allowed = await app.get(RateLimiter).consume('job', minute, { onStoreError: 'allow' });
    expect(allowed.allowed).toBe(true);
  });

  it('bounds a slow Redis by the timeout', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const limiter = new RateLimiter({ store: await store(), timeout: 150, onStoreError: 'deny' });
    await limiter.consume('slow', minute);
    await server.cli('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = performance.now();
    const decision = await limiter.consume('slow', minute);
    const took = performance.now() - started;
    expect(decision.allowed).toBe(false);
    expect(decision.storeError?.message).toMatch(/did not answer within 150 ms \(timeout\)/);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1200);
    await server.cli('CLIENT', 'UNPAUSE');
  });
});
