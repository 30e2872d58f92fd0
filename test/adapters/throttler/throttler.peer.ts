/**
 * The checks that need @nestjs/throttler itself at run time. Run by throttler.e2e-spec.ts in a
 * plain Node process (see ../../support/ts-hooks.mjs for why not in Jest):
 *
 *   REDIS_URL=redis://... node --import ./test/support/ts-register.mjs \
 *     test/adapters/throttler/throttler.peer.ts <result.json>
 *
 * Writes `{ [check]: result }` as JSON; the Jest suite asserts on it.
 */
import { writeFileSync } from 'node:fs';
import { ThrottlerStorageService } from '@nestjs/throttler';
import fc from 'fast-check';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { createMemoryStore, createRedisStore, type KvsStore } from '../../../lib/index.js';
import { KvsThrottlerStorage } from '../../../lib/adapters/throttler/index.js';
import { bootThrottledApp } from './throttler.app.js';

type Record = Awaited<ReturnType<ThrottlerStorageService['increment']>>;
interface Scenario {
  ttl: number;
  limit: number;
  blockDuration: number;
  /** Ms to let pass before each hit. */
  steps: number[];
}

const url = process.env['REDIS_URL']!;
const START = 1_700_000_000_000;

/** What the guard acts on; `timeToBlockExpire` only matters (and is only set) while blocked. */
const visible = (r: Record) => ({ ...r, timeToBlockExpire: r.isBlocked ? r.timeToBlockExpire : 0 });

/** `scenario` on throttler's own in-memory storage, with Date.now under the check's control. */
async function reference({ ttl, limit, blockDuration, steps }: Scenario) {
  const realNow = Date.now;
  let now = START;
  Date.now = () => now;
  const storage = new ThrottlerStorageService();
  try {
    const out = [];
    for (const advance of steps) {
      now += advance;
      out.push(visible(await storage.increment('k', ttl, limit, blockDuration, 'default')));
    }
    return out;
  } finally {
    storage.onApplicationShutdown();
    Date.now = realNow;
  }
}

/** `scenario` on KvsThrottlerStorage over `store`, on the same clock. */
async function ours(store: KvsStore, { ttl, limit, blockDuration, steps }: Scenario, key: string) {
  let now = START;
  const storage = new KvsThrottlerStorage(store, { clock: () => now });
  const out = [];
  for (const advance of steps) {
    now += advance;
    out.push(visible(await storage.increment(key, ttl, limit, blockDuration, 'default')));
  }
  return out;
}

const scenarios = fc.record({
  ttl: fc.constantFrom(1_000, 2_500, 60_000),
  // Limit 0 is left out on purpose: throttler's memory storage lets one request through each time
  // a block ends even then; KvsThrottlerStorage keeps refusing (see throttler.e2e-spec.ts).
  limit: fc.integer({ min: 1, max: 5 }),
  blockDuration: fc.constantFrom(0, 500, 1_000, 5_000),
  steps: fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 25 }),
});

/** Runs random scenarios on both; resolves `{}` or the first difference fast-check found. */
async function parity(store: KvsStore, numRuns: number): Promise<{ failure?: string }> {
  let run = 0;
  try {
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const [mine, theirs] = [
          await ours(store, scenario, `run-${run++}`),
          await reference(scenario),
        ];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          throw new Error(`ours ${JSON.stringify(mine)}\nthrottler ${JSON.stringify(theirs)}`);
        }
      }),
      { numRuns },
    );
    return {};
  } catch (err) {
    return { failure: err instanceof Error ? err.message : String(err) };
  } finally {
    await store.close();
  }
}

/** Fires `count` requests at once, spread over `apps`; the statuses, counted. */
async function burst(apps: INestApplication[], count: number) {
  const urls = await Promise.all(apps.map((app) => app.getUrl()));
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) => request(urls[i % urls.length]!).get('/ping')),
  );
  const counts: { [status: number]: number } = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

async function closing<T>(apps: INestApplication[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    await Promise.all(apps.map((app) => app.close()));
  }
}

const blocking: Scenario = {
  ttl: 1_000,
  limit: 3,
  blockDuration: 5_000,
  steps: [0, 100, 100, 100, 100, 800, 4_000, 200],
};

type Increment = (
  key: string,
  ttl: number,
  limit: number,
  block: number,
  name: string,
) => Promise<Record>;

/**
 * Two throttlers whose generateKey drops the name, so both count under one key: 'short' (limit 1)
 * is driven into a block, then 'long' (limit 100) takes its first hit. What does 'long' answer?
 */
async function oneKeyTwoThrottlers(increment: Increment) {
  await increment('k', 60_000, 1, 60_000, 'short');
  await increment('k', 60_000, 1, 60_000, 'short'); // over the limit: blocked
  return visible(await increment('k', 60_000, 100, 60_000, 'long'));
}

const checks: { [name: string]: () => Promise<unknown> } = {
  oneKeyTwoThrottlers: async () => {
    const theirs = new ThrottlerStorageService();
    const redis = await createRedisStore({ url, keyPrefix: 'names:' });
    try {
      const memory = new KvsThrottlerStorage(createMemoryStore());
      const onRedis = new KvsThrottlerStorage(redis);
      return {
        throttler: await oneKeyTwoThrottlers((...a) => theirs.increment(...a)),
        memory: await oneKeyTwoThrottlers((...a) => memory.increment(...a)),
        redis: await oneKeyTwoThrottlers((...a) => onRedis.increment(...a)),
      };
    } finally {
      theirs.onApplicationShutdown();
      await redis.close();
    }
  },
  blockingReference: () => reference(blocking),
  parityMemory: () => parity(createMemoryStore(), 300),
  parityRedis: async () => parity(await createRedisStore({ url, keyPrefix: 'parity:' }), 100),
  burstMemory: async () => {
    const app = await bootThrottledApp({ type: 'memory' });
    return closing([app], () => burst([app], 200));
  },
  burstRedis: async () => {
    const app = await bootThrottledApp({ type: 'redis', url, keyPrefix: 'burst:' });
    return closing([app], () => burst([app], 200));
  },
  burstTwoInstances: async () => {
    const kvs = { type: 'redis', url, keyPrefix: 'two:' } as const;
    const apps = [await bootThrottledApp(kvs), await bootThrottledApp(kvs)];
    return closing(apps, () => burst(apps, 200));
  },
  headers: async () => {
    const app = await bootThrottledApp({ type: 'redis', url, keyPrefix: 'headers:' });
    return closing([app], async () => {
      const http = request(await app.getUrl());
      const first = await http.get('/ping');
      await burst([app], 19);
      const refused = await http.get('/ping');
      return { first: [first.status, first.headers], refused: [refused.status, refused.headers] };
    });
  },
};

const results: { [name: string]: unknown } = {};
for (const [name, check] of Object.entries(checks)) {
  try {
    results[name] = await check();
  } catch (err) {
    results[name] = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}
writeFileSync(process.argv[2]!, JSON.stringify(results));
