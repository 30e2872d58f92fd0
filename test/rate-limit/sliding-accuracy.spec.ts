/**
 * How far the sliding window counter strays from an exact sliding log (the bound the README
 * states), on the memory backend with a simulated clock (the Redis script is held to the same
 * arithmetic by algorithms.spec.ts).
 *
 * The bound: within one aligned window at most `limit`; in any interval of length x <= window at
 * most limit * (1 + x / window), so never 2 x limit (a fixed window allows 2 x limit in an instant).
 */
import { describe, expect, it } from '@jest/globals';
import type { RateLimitPolicy } from '../../lib/index.js';
import { memoryTimeline, T0 } from './rate-limit.timeline.js';

const L = 100;
const W = 60_000;
const policy: RateLimitPolicy[] = [{ limit: L, window: W }];

/** Deterministic PRNG (xorshift32) in [0, 1). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Offers requests at `times` (ms after T0, ascending) and returns the times it admitted. */
async function admittedAt(times: readonly number[]): Promise<number[]> {
  const t = memoryTimeline();
  const admitted: number[] = [];
  for (const at of times) {
    t.now = T0 + at;
    if ((await t.decide(policy)).allowed) admitted.push(at);
  }
  return admitted;
}

/** The most admitted requests in any interval (t - x, t]. */
function busiest(admitted: readonly number[], x: number): number {
  let most = 0;
  let lo = 0;
  for (let hi = 0; hi < admitted.length; hi++) {
    while (admitted[lo]! <= admitted[hi]! - x) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/** What an exact sliding log admits: a request when fewer than L were admitted in (t - W, t]. */
function slidingLog(times: readonly number[]): number[] {
  const admitted: number[] = [];
  let lo = 0;
  for (const at of times) {
    while (lo < admitted.length && admitted[lo]! <= at - W) lo++;
    if (admitted.length - lo < L) admitted.push(at);
  }
  return admitted;
}

/** Checks the bound for several interval lengths, and returns the busiest full window. */
function checkBound(admitted: readonly number[]): number {
  for (const x of [1, 100, 1000, W / 10, W / 2, W]) {
    expect({ x, most: busiest(admitted, x) }).toEqual({
      x,
      most: Math.min(busiest(admitted, x), Math.floor(L * (1 + x / W))),
    });
  }
  return busiest(admitted, W);
}

describe('sliding window accuracy', () => {
  it('worst case: the previous window all at its last instant still stays under 2 x limit', async () => {
    const times: number[] = [];
    for (let i = 0; i < L; i++) times.push(W - 1); // all of window 0's quota at its very end
    for (let at = W; at < 3 * W; at += 50) times.push(at); // then a steady 20 requests/s
    const admitted = await admittedAt(times);
    const most = checkBound(admitted);
    expect(most).toBeLessThan(2 * L);
    expect(most).toBeGreaterThan(1.9 * L); // the bound is tight: ~2 x limit over one full window
    // ...but a burst right after the boundary is capped near the limit (a fixed window: 2 x limit)
    expect(busiest(admitted, 1000)).toBeLessThanOrEqual(L + Math.floor((L * 1000) / W));
  });

  it.each([
    [1, 1.2],
    [2, 1.1],
    [5, 1.03],
  ])(
    'random (Poisson) traffic at %d x the limit: the busiest window stays within %d x limit',
    async (factor, ceiling) => {
      const next = random(42 + factor);
      const times: number[] = [];
      for (let at = 0; at < 300 * W;) {
        at += Math.max(1, Math.round(-Math.log(1 - next()) / ((factor * L) / W)));
        times.push(at);
      }
      const admitted = await admittedAt(times);
      const most = checkBound(admitted);
      expect(most).toBeLessThanOrEqual(ceiling * L);
      // and over the run it admits about as many as an exact sliding log would
      const exact = slidingLog(times).length;
      expect(Math.abs(admitted.length / exact - 1)).toBeLessThanOrEqual(0.02);
    },
  );
});
