/**
 * onStoreError: 'local' on a real redis-server that is killed, or stopped (SIGSTOP: it then
 * answers nothing, so the timeout decides), and comes back: decisions go on in process with the
 * limits divided by `instances`, then return to the store by themselves, whose counts the
 * outage did not touch.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Logger } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  KvsModule,
  RateLimit,
  RateLimiter,
  RateLimitGuard,
  RateLimitModule,
  type RateLimitPolicy,
} from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { waitUntil } from '../support/redis-servers.js';
import { boot } from './rate-limit.http.js';

const redis = useRedisServer();
afterEach(async () => {
  jest.restoreAllMocks();
  const pid = redis.server.pid;
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
  if (!redis.server.running) await redis.server.restart();
});

const HOUR = 3_600_000;
const policy: RateLimitPolicy = {
  name: 'local',
  limit: 10,
  window: HOUR,
  algorithm: 'fixed-window',
};
/** The fixed window now (windows are aligned to the clock; Redis runs on this machine's clock). */
const windowNow = (): number => Math.floor(Date.now() / HOUR);

/** [name, fail, recover, what the store has left after it: 10 - spent]. */
const outages: [string, () => Promise<void>, () => Promise<void>, number][] = [
  // Restarted without persistence: the counts are gone.
  ['killed', () => redis.server.kill(), () => redis.server.restart(), 10],
  // The 3 before, and the decision that timed out, which Redis ran once it woke up.
  [
    'stopped (SIGSTOP)',
    async () => void process.kill(redis.server.pid!, 'SIGSTOP'),
    async () => void process.kill(redis.server.pid!, 'SIGCONT'),
    6,
  ],
];

describe.each(outages)('onStoreError: local, Redis %s', (_name, fail, recover, left) => {
  it('decides in process with limit / instances, then goes back to the store', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await redis.redisStore({ commandTimeout: 1000 });
    const limiter = new RateLimiter({ store, onStoreError: 'local', instances: 2, timeout: 300 });
    const started = windowNow();
    for (let i = 0; i < 3; i++)
      expect(await limiter.consume('k', policy)).toMatchObject({ allowed: true, remaining: 9 - i });
    await fail();
    const local = [];
    for (let i = 0; i < 6; i++) local.push(await limiter.consume('k', policy));
    expect(local.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(local.every((d) => d.local === true && d.storeError !== undefined)).toBe(true);
    expect(local[0]).toMatchObject({ limit: 5, remaining: 4 });
    expect(local[5]!.retryAfterMs).toBeGreaterThan(0);
    await recover();
    const back = await waitUntil(
      'decisions from the store again',
      async () => {
        const d = await limiter.peek('k', policy);
        return d.local === true ? undefined : d;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    // Should the test straddle the top of an hour, the store's window started afresh.
    const remaining = windowNow() === started ? left : 10;
    expect(back).toMatchObject({ allowed: true, remaining, limit: 10 });
    expect(back.storeError).toBeUndefined();
  }, 30_000);
});

@Controller()
class LocalController {
  @Get('local')
  @RateLimit({ limit: 2, window: '1m', algorithm: 'fixed-window' }, { onStoreError: 'local' })
  local(): string {
    return 'ok';
  }
}

describe('onStoreError: local in the guard', () => {
  it('answers 429 with headers from the in-process limiter while Redis is down', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { http } = await boot('express', {
      imports: [
        KvsModule.forRoot({ type: 'redis', url: redis.server.url, commandTimeout: 1000 }),
        RateLimitModule.forRoot({ timeout: 300 }),
      ],
      controllers: [LocalController],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    });
    await http().get('/local').expect(200);
    await redis.server.kill();
    await http().get('/local').expect(200);
    await http().get('/local').expect(200);
    const refused = await http().get('/local').expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.headers['ratelimit']).toMatch(/r=0/);
  }, 30_000);
});
