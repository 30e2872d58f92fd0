/**
 * Drives the memory backend and the Redis script over the same simulated timeline, so one set of
 * expectations holds both to the same algorithms, millisecond by millisecond.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startRedis, stopAll } from '../support/redis-servers.js';
import { createRedisStore, type RateLimitPolicy, type RedisStore } from '../../lib/index.js';
import type { BackendDecision, RateLimitBackend } from '../../lib/rate-limit/backends/index.js';
import { MemoryRateLimitBackend } from '../../lib/rate-limit/backends/memory.backend.js';
import { MemoryCounters } from '../../lib/rate-limit/backends/memory.counters.js';
import { RedisRateLimitBackend } from '../../lib/rate-limit/backends/redis.backend.js';
import { resolvePolicy } from '../../lib/rate-limit/rate-limit.policy.js';

/** A start time aligned to every window the tests use (a whole number of days since the epoch). */
export const T0 = 20_000 * 86_400_000;

/** A backend on a clock the test moves. */
export interface Timeline {
  readonly name: string;
  /** The simulated time, ms since the epoch. */
  now: number;
  /** Decides `policies` for `key` at `now`, spending `cost` (default: each policy's own). */
  decide(
    policies: readonly RateLimitPolicy[],
    key?: string,
    cost?: number,
  ): Promise<BackendDecision>;
  /** What `decide` would answer now, spending nothing and locking nothing. */
  peek(policies: readonly RateLimitPolicy[], key?: string, cost?: number): Promise<BackendDecision>;
  /** Refunds `cost` (default: each policy's own); true when some counter was full before. */
  refund(policies: readonly RateLimitPolicy[], key?: string, cost?: number): Promise<boolean>;
  /** Deletes the key's counters under `policies` and its lockout. */
  reset(policies: readonly RateLimitPolicy[], key?: string): Promise<void>;
  /** Locks the key out for `ms`. */
  block(ms: number, key?: string): Promise<void>;
}

function timeline(name: string, create: (clock: () => number) => RateLimitBackend): Timeline {
  const run = randomUUID();
  const requests = (policies: readonly RateLimitPolicy[], key: string, cost?: number) =>
    policies.map((p) => {
      const policy = resolvePolicy(p);
      return {
        key: `t:{${run}:${key}}:${policy.name}:${policy.code}`,
        blockKey: `t:{${run}:${key}}:blocked`,
        policy,
        cost: cost ?? policy.cost,
      };
    });
  const t: Timeline = {
    name,
    now: T0,
    decide: async (policies, key = 'k', cost) => backend.decide(requests(policies, key, cost)),
    peek: async (policies, key = 'k', cost) =>
      backend.decide(requests(policies, key, cost), 'peek'),
    refund: async (policies, key = 'k', cost) => backend.refund(requests(policies, key, cost)),
    reset: async (policies, key = 'k') => {
      const list = requests(policies, key);
      await backend.reset([...list.map((r) => r.key), list[0]!.blockKey]);
    },
    block: async (ms, key = 'k') => backend.block(`t:{${run}:${key}}:blocked`, ms),
  };
  const backend = create(() => t.now);
  return t;
}

/** The memory backend with its own counters. */
export const memoryTimeline = (maxKeys = 10_000): Timeline =>
  timeline('memory', (clock) => new MemoryRateLimitBackend(new MemoryCounters(maxKeys), clock));

/** The Redis script, with the simulated time passed in instead of Redis's TIME. */
export const redisTimeline = (store: RedisStore): Timeline =>
  timeline('redis', (clock) => new RedisRateLimitBackend(store, clock));

/** The outcome as a compact tuple for `toEqual`: [allowed, ...per counter [allowed, remaining, resetMs, retryAfterMs]]. */
export function summary(d: BackendDecision): (boolean | number[])[] {
  return [
    d.allowed,
    ...d.counters.map((c) => [Number(c.allowed), c.remaining, c.resetMs, c.retryAfterMs]),
  ];
}

/**
 * The timelines of a spec file: memory, and Redis on a redis-server the file starts in beforeAll
 * (and stops after its last test). `store()` is that server's store, for tests of their own.
 */
export function useTimelines(): {
  backends: [string, () => Timeline][];
  store: () => RedisStore;
} {
  let store: RedisStore | undefined;
  beforeAll(async () => {
    const server = await startRedis();
    store = await createRedisStore({ url: server.url });
  });
  afterAll(async () => {
    await store?.close();
    await stopAll();
  });
  const redis = (): RedisStore => {
    if (store === undefined) throw new Error('useTimelines(): the store opens in beforeAll');
    return store;
  };
  return {
    backends: [
      ['memory', () => memoryTimeline()],
      ['redis', () => redisTimeline(redis())],
    ],
    store: redis,
  };
}
