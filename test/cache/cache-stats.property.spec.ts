/**
 * Random call sequences (hits, misses, loads that throw, stale entries; alone or concurrent, with
 * and without a lock) keep the counters consistent on every backend: each call counts exactly once
 * in hits, stale or misses, and `loads` equals the runs of the loading functions.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { KvsCacheRuntime } from '../../lib/cache/engine/cache.runtime.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import {
  BACKENDS,
  boot,
  closeApps,
  manualClock,
  type Backend,
  type Booted,
} from './cache.fixtures.js';

const TTL = 1000;

type Step =
  | { kind: 'wrap'; key: string; throws: boolean; lock: boolean; concurrent: number }
  | { kind: 'lookup'; key: string }
  | { kind: 'delete'; key: string }
  | { kind: 'advance'; ms: number };

const key = fc.constantFrom('a', 'b', 'c');
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('wrap' as const),
      key,
      throws: fc.constantFrom(false, false, true),
      lock: fc.boolean(),
      concurrent: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lookup' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(TTL / 2, TTL * 2),
    }),
  },
);

/** Runs `steps` against `cache`; returns how many calls were made and how often `fn` ran. */
async function play(booted: Booted, steps: Step[], clock: { advance(ms: number): void }) {
  const { cache } = booted;
  const { refreshing } = booted.app.get(KvsCacheRuntime).space(undefined);
  let calls = 0;
  let runs = 0;
  for (const s of steps) {
    if (s.kind === 'advance') clock.advance(s.ms);
    else if (s.kind === 'delete') await cache.delete(s.key);
    else if (s.kind === 'lookup') {
      calls++;
      await cache.lookup(s.key);
    } else {
      const fn = async () => {
        runs++;
        await Promise.resolve();
        if (s.throws) throw new Error('load failed');
        return { key: s.key };
      };
      calls += s.concurrent;
      const options = { ttl: TTL, staleTtl: 60_000, lock: s.lock };
      const results = await Promise.allSettled(
        Array.from({ length: s.concurrent }, () => cache.wrap(s.key, fn, options)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') expect(r.value).toEqual({ key: s.key });
        else expect(r.reason).toMatchObject({ message: 'load failed' });
      }
    }
    // A stale hit refreshes in the background, after the call returned: let it finish first.
    while (refreshing.size > 0) await Promise.all([...refreshing.values()].map((t) => t.promise));
  }
  return { calls, runs };
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterAll(async () => {
  await closeApps();
  await stopAll();
}, 30_000);

describe.each(BACKENDS)('cache counters on %s', (backend: Backend) => {
  it('count every call once in hits, stale or misses, and every run of fn in loads', async () => {
    const clock = manualClock();
    const booted = await boot({
      backend,
      url: server.url,
      // A long timeout: no store step of a healthy store fails, however loaded the machine.
      cache: { clock: clock.now, timeout: 5000, logger: { warn: () => undefined } },
    });
    const { cache } = booted;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        await cache.evictNamespace();
        cache.resetStats();
        const { calls, runs } = await play(booted, steps, clock);
        const stats = cache.stats();
        expect({ counted: stats.hits + stats.stale + stats.misses, loads: stats.loads }).toEqual({
          counted: calls,
          loads: runs,
        });
        expect(stats.errors).toBe(0);
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
