/**
 * Lockouts (`block`), GCRA, peeks, refunds, resets and lockouts by hand, on the memory backend and
 * on the Redis scripts alike, over the same simulated timeline; then random sequences of all of
 * them must give identical outcomes on both.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { RateLimitPolicy } from '../../lib/index.js';
import {
  memoryTimeline,
  redisTimeline,
  summary,
  type Timeline,
  useTimelines,
} from './rate-limit.timeline.js';

const { backends, store } = useTimelines();

const login: RateLimitPolicy = {
  name: 'login',
  limit: 3,
  window: 60_000,
  algorithm: 'fixed-window',
  block: '15m',
};
const perIp: RateLimitPolicy = { name: 'ip', limit: 100, window: 60_000 };

describe.each(backends)('%s backend', (_name, create) => {
  it('block: the refusal locks the key out for the block, under every policy, in the same step', async () => {
    const t = create();
    for (let i = 0; i < 3; i++) expect((await t.decide([login, perIp])).allowed).toBe(true);
    // The 4th is refused by `login`, which locks the key: both policies read refused for 15 min.
    expect(summary(await t.decide([login, perIp]))).toEqual([
      false,
      [0, 0, 900_000, 900_000],
      [0, 0, 900_000, 900_000],
    ]);
    t.now += 120_000; // the window passed, the lockout did not
    expect(summary(await t.decide([login, perIp]))).toEqual([
      false,
      [0, 0, 780_000, 780_000],
      [0, 0, 780_000, 780_000],
    ]);
    t.now += 779_999; // refusals during a lockout do not extend it
    expect((await t.decide([perIp])).counters[0]!.retryAfterMs).toBe(1);
    t.now += 1;
    expect(summary(await t.decide([login, perIp]))).toEqual([
      true,
      [1, 2, 60_000, 0],
      [1, 99, 120_000, 0], // 15 minutes on: the window forgot the first three
    ]);
  });

  it('block: a refusal by a policy without block locks nothing', async () => {
    const t = create();
    const burst: RateLimitPolicy = {
      name: 'burst',
      limit: 1,
      window: 60_000,
      algorithm: 'fixed-window',
    };
    await t.decide([burst, login]);
    expect(summary(await t.decide([burst, login]))).toEqual([
      false,
      [0, 0, 60_000, 60_000],
      [1, 2, 60_000, 0],
    ]);
    t.now += 60_000;
    expect((await t.decide([burst, login])).allowed).toBe(true);
  });

  it('gcra: one timestamp, bursts up to the limit, then one per window/limit, exact retry', async () => {
    const t = create();
    const policy: RateLimitPolicy[] = [{ limit: 4, window: 10_000, algorithm: 'gcra' }];
    expect(summary(await t.decide(policy))).toEqual([true, [1, 3, 2500, 0]]);
    expect(summary(await t.decide(policy))).toEqual([true, [1, 2, 5000, 0]]);
    expect(summary(await t.decide(policy))).toEqual([true, [1, 1, 7500, 0]]);
    expect(summary(await t.decide(policy))).toEqual([true, [1, 0, 10_000, 0]]);
    expect(summary(await t.decide(policy))).toEqual([false, [0, 0, 10_000, 2500]]);
    t.now += 2499;
    expect(summary(await t.decide(policy))).toEqual([false, [0, 0, 7501, 1]]);
    t.now += 1;
    expect(summary(await t.decide(policy))).toEqual([true, [1, 0, 10_000, 0]]);
    t.now += 30_000;
    expect(summary(await t.decide(policy, 'k', 3))).toEqual([true, [1, 1, 7500, 0]]);
  });

  it('peek answers what a request would get, spending and locking nothing', async () => {
    const t = create();
    for (let i = 0; i < 3; i++) await t.decide([login]);
    for (let i = 0; i < 3; i++) {
      expect(summary(await t.peek([login]))).toEqual([false, [0, 0, 60_000, 60_000]]);
    }
    t.now += 60_000; // no lockout was set by the peeks
    expect(summary(await t.peek([login]))).toEqual([true, [1, 3, 0, 0]]);
    expect(summary(await t.decide([login]))).toEqual([true, [1, 2, 60_000, 0]]);
  });

  it.each<[RateLimitPolicy['algorithm'], number]>([
    ['fixed-window', 3],
    ['sliding-window', 3],
    ['token-bucket', 3],
    ['gcra', 3],
  ])('refund on %s gives units back, never below zero nor above the limit', async (algorithm) => {
    const t = create();
    const policy: RateLimitPolicy[] = [{ name: 'r', limit: 3, window: 60_000, algorithm }];
    expect(await t.refund(policy)).toBe(false); // nothing spent: nothing to give back
    for (let i = 0; i < 3; i++) await t.decide(policy);
    expect((await t.decide(policy)).allowed).toBe(false);
    expect(await t.refund(policy)).toBe(true); // it was full
    expect((await t.decide(policy)).allowed).toBe(true);
    expect((await t.decide(policy)).allowed).toBe(false);
    for (let i = 0; i < 10; i++) await t.refund(policy, 'k', 2);
    expect((await t.peek(policy)).counters[0]!.remaining).toBe(3);
    for (let i = 0; i < 3; i++) expect((await t.decide(policy)).allowed).toBe(true);
    expect((await t.decide(policy)).allowed).toBe(false);
  });

  it('reset deletes the counters and lifts the lockout; block locks out by hand', async () => {
    const t = create();
    for (let i = 0; i < 4; i++) await t.decide([login]);
    expect((await t.peek([login])).counters[0]!.retryAfterMs).toBe(900_000);
    await t.reset([login]);
    expect(summary(await t.decide([login]))).toEqual([true, [1, 2, 60_000, 0]]);
    await t.block(30_000);
    expect(summary(await t.decide([perIp, login]))).toEqual([
      false,
      [0, 0, 30_000, 30_000],
      [0, 0, 60_000, 30_000],
    ]);
    await t.block(20_000); // replaces the lockout
    expect((await t.decide([perIp])).counters[0]!.retryAfterMs).toBe(20_000);
    t.now += 20_000;
    expect((await t.decide([perIp])).allowed).toBe(true);
  });
});

const policyArb = fc.record({
  limit: fc.integer({ min: 1, max: 6 }),
  window: fc.constantFrom(10_000, 15_000, 60_000),
  algorithm: fc.constantFrom(
    'sliding-window' as const,
    'fixed-window' as const,
    'token-bucket' as const,
    'gcra' as const,
  ),
  block: fc.constantFrom(0, 20_000),
});
const opArb = fc.record({
  advance: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 30_000 })),
  op: fc.constantFrom('decide', 'decide', 'decide', 'peek', 'refund', 'reset', 'block'),
  cost: fc.constantFrom(undefined, 0, 1, 2),
});

describe('random sequences of decisions, peeks, refunds, resets and lockouts', () => {
  it('give identical outcomes on memory and Redis', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(policyArb, { minLength: 1, maxLength: 2 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        async (raw, ops) => {
          const policies = raw.map((p, i) => ({ ...p, name: `p${i}` }));
          const minLimit = Math.min(...policies.map((p) => p.limit));
          const memory = memoryTimeline();
          const redis = redisTimeline(store());
          for (const { advance, op, cost: wanted } of ops) {
            memory.now += advance;
            redis.now += advance;
            const cost = wanted === undefined ? undefined : Math.min(wanted, minLimit);
            const both = async <T>(run: (t: Timeline) => Promise<T>) => {
              const [m, r] = [await run(memory), await run(redis)];
              expect({ op, r }).toEqual({ op, r: m });
            };
            if (op === 'decide')
              await both(async (t) => summary(await t.decide(policies, 'k', cost)));
            if (op === 'peek') await both(async (t) => summary(await t.peek(policies, 'k', cost)));
            if (op === 'refund') await both((t) => t.refund(policies, 'k', cost));
            if (op === 'reset') await both((t) => t.reset(policies));
            if (op === 'block') await both((t) => t.block(15_000));
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 60_000);
});
