/**
 * The three algorithms over simulated time, on the memory backend and on the Redis script alike:
 * the same expectations, to the millisecond. Then random timelines must give identical outcomes
 * on both, and every Retry-After must be exact (rejected 1 ms before, admitted at it).
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

/** Runs `steps` ([ms to advance, expected summary]) on a fresh timeline. */
async function play(
  t: Timeline,
  policies: RateLimitPolicy[],
  steps: [advance: number, expected: ReturnType<typeof summary>, cost?: number][],
): Promise<void> {
  for (const [i, [advance, expected, cost]] of steps.entries()) {
    t.now += advance;
    const got = summary(await t.decide(policies, 'k', cost));
    expect({ step: i, at: t.now % 100_000, got }).toEqual({
      step: i,
      at: t.now % 100_000,
      got: expected,
    });
  }
}

describe.each(backends)('%s backend', (_name, create) => {
  it('fixed window: limit per aligned window, retry at the window end, fresh quota after it', async () => {
    await play(
      create(),
      [{ limit: 3, window: 1000, algorithm: 'fixed-window' }],
      [
        [0, [true, [1, 2, 1000, 0]]],
        [100, [true, [1, 1, 900, 0]]],
        [100, [true, [1, 0, 800, 0]]],
        [100, [false, [0, 0, 700, 700]]],
        [699, [false, [0, 0, 1, 1]]],
        [1, [true, [1, 2, 1000, 0]]],
        [0, [false, [0, 2, 1000, 1000]], 3],
        [0, [true, [1, 0, 1000, 0]], 2],
      ],
    );
  });

  it('sliding window: the previous window counts by its remaining overlap', async () => {
    const steps: Parameters<typeof play>[2] = [[500, [true, [1, 9, 1500, 0]]]];
    for (let remaining = 8; remaining >= 0; remaining--)
      steps.push([0, [true, [1, remaining, 1500, 0]]]);
    steps.push(
      // 10 in this window; the next admits one once 10 * (1 - y/1000) + 1 <= 10, y = 100 ms in.
      [0, [false, [0, 0, 1500, 600]]],
      [599, [false, [0, 0, 901, 1]]],
      [1, [true, [1, 0, 1900, 0]]], // t = 1100: 10 * 0.9 + 1 = 10
      [0, [false, [0, 0, 1900, 100]]], // 10 * (1 - x/1000) + 1 + 1 <= 10 at x = 200
      [100, [true, [1, 0, 1800, 0]]], // t = 1200: 10 * 0.8 + 2 = 10
      [300, [true, [1, 2, 1500, 0]]], // t = 1500: 10 * 0.5 + 3 = 8
      [1500, [true, [1, 9, 2000, 0]]], // t = 3000: two windows on, only this request counts
    );
    await play(create(), [{ limit: 10, window: 1000 }], steps);
  });

  it('token bucket: bursts up to the limit, then one token per window/limit', async () => {
    await play(
      create(),
      [{ limit: 4, window: 10_000, algorithm: 'token-bucket' }],
      [
        [0, [true, [1, 3, 2500, 0]]],
        [0, [true, [1, 2, 5000, 0]]],
        [0, [true, [1, 1, 7500, 0]]],
        [0, [true, [1, 0, 10_000, 0]]],
        [0, [false, [0, 0, 10_000, 2500]]],
        [2499, [false, [0, 0, 7501, 1]]], // 0.9996 tokens
        [1, [true, [1, 0, 10_000, 0]]],
        [1250, [false, [0, 0, 8750, 1250]]],
        [20_000, [true, [1, 2, 5000, 0]], 2],
      ],
    );
  });

  it('decides several policies atomically: a rejection by one spends nothing of the others', async () => {
    const t = create();
    const burst: RateLimitPolicy = {
      limit: 2,
      window: 1000,
      algorithm: 'fixed-window',
      name: 'burst',
    };
    const minute: RateLimitPolicy = {
      limit: 5,
      window: 60_000,
      algorithm: 'fixed-window',
      name: 'minute',
    };
    expect(summary(await t.decide([burst, minute]))).toEqual([
      true,
      [1, 1, 1000, 0],
      [1, 4, 60_000, 0],
    ]);
    expect(summary(await t.decide([burst, minute]))).toEqual([
      true,
      [1, 0, 1000, 0],
      [1, 3, 60_000, 0],
    ]);
    for (let i = 0; i < 5; i++) {
      // burst refuses: minute would allow, and keeps its 3
      expect(summary(await t.decide([burst, minute]))).toEqual([
        false,
        [0, 0, 1000, 1000],
        [1, 3, 60_000, 0],
      ]);
    }
    t.now += 1000;
    expect(summary(await t.decide([burst, minute]))).toEqual([
      true,
      [1, 1, 1000, 0],
      [1, 2, 59_000, 0],
    ]);
    expect(summary(await t.decide([minute]))).toEqual([true, [1, 1, 59_000, 0]]);
  });

  it('spends nothing for a cost of 0 (a peek)', async () => {
    const t = create();
    const policy: RateLimitPolicy[] = [{ limit: 2, window: 1000, algorithm: 'token-bucket' }];
    expect(summary(await t.decide(policy, 'k', 0))).toEqual([true, [1, 2, 0, 0]]);
    expect(summary(await t.decide(policy))).toEqual([true, [1, 1, 500, 0]]);
    expect(summary(await t.decide(policy, 'k', 0))).toEqual([true, [1, 1, 500, 0]]);
  });
});

/**
 * Redis expires keys in real time while these tests move a simulated clock, so Redis timelines use
 * windows long enough (>= 10 s) that no key can expire during a run; memory also runs short ones.
 */
const LONG_WINDOWS = [10_000, 15_000, 60_000];
const policyArb = (windows: number[]) =>
  fc.record({
    limit: fc.integer({ min: 1, max: 12 }),
    window: fc.constantFrom(...windows),
    algorithm: fc.constantFrom(
      'sliding-window' as const,
      'fixed-window' as const,
      'token-bucket' as const,
      'gcra' as const,
    ),
    block: fc.constantFrom(0, 0, 12_000, 45_000),
  });
const stepArb = fc.record({
  advance: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 40_000 })),
  pick: fc.integer({ min: 0, max: 7 }),
  cost: fc.constantFrom(undefined, 0, 1, 2),
});

describe('random timelines', () => {
  it('give identical outcomes on memory and Redis, to the millisecond', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(policyArb(LONG_WINDOWS), { minLength: 1, maxLength: 3 }),
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        async (raw, steps) => {
          const policies = raw.map((p, i) => ({ ...p, name: `p${i}` }));
          const minLimit = Math.min(...policies.map((p) => p.limit));
          const memory = memoryTimeline();
          const redis = redisTimeline(store());
          for (const step of steps) {
            memory.now += step.advance;
            redis.now += step.advance;
            const chosen = policies.filter((_, i) => (step.pick >> i) % 2 === 1);
            const used = chosen.length > 0 ? chosen : policies;
            const cost = step.cost === undefined ? undefined : Math.min(step.cost, minLimit);
            expect(summary(await redis.decide(used, 'k', cost))).toEqual(
              summary(await memory.decide(used, 'k', cost)),
            );
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it.each([
    ['memory', [7, 100, 1000, 1500, 60_000], 400, () => memoryTimeline()],
    ['redis', LONG_WINDOWS, 4000, () => redisTimeline(store())],
  ])(
    'Retry-After is exact on %s: still refused 1 ms before it, admitted at it',
    async (_name, windows, maxGap, create) => {
      await fc.assert(
        fc.asyncProperty(
          policyArb(windows),
          fc.array(fc.integer({ min: 0, max: maxGap }), { minLength: 1, maxLength: 60 }),
          fc.integer({ min: 1, max: 3 }),
          async (policy, gaps, wantedCost) => {
            const cost = Math.min(wantedCost, policy.limit);
            const t = create();
            for (const gap of gaps) {
              t.now += gap;
              const d = await t.decide([policy], 'k', cost);
              if (d.allowed) continue;
              const wait = d.counters[0]!.retryAfterMs;
              expect(wait).toBeGreaterThan(0);
              t.now += wait - 1;
              expect((await t.decide([policy], 'k', 0)).counters[0]!.remaining).toBeLessThan(cost);
              t.now += 1;
              expect((await t.decide([policy], 'k', cost)).allowed).toBe(true);
            }
          },
        ),
        { numRuns: 60 },
      );
    },
    60_000,
  );
});
