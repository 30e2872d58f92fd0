import { describe, expect, it } from '@jest/globals';
import { StepTimeoutError } from '../../lib/cache/engine/cache.space.js';
import { Deadlines } from '../../lib/shared/deadlines.js';

const stepTimeout = (ms: number): Error => new StepTimeoutError(ms);

describe('Deadlines', () => {
  it('passes results and errors through, and rejects StepTimeoutError when a step hangs', async () => {
    const deadlines = new Deadlines();
    await expect(deadlines.within(Promise.resolve(1), 50, stepTimeout)).resolves.toBe(1);
    await expect(
      deadlines.within(Promise.reject(new RangeError('x')), 50, stepTimeout),
    ).rejects.toThrow(RangeError);
    const hung = new Promise<never>(() => undefined);
    const started = performance.now();
    await expect(deadlines.within(hung, 30, stepTimeout)).rejects.toBeInstanceOf(StepTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  it('expires each pending step on time while thousands of others settle', async () => {
    const deadlines = new Deadlines();
    const quick = Array.from({ length: 5000 }, (_, i) =>
      deadlines.within(Promise.resolve(i), 20, stepTimeout),
    );
    const hung = [
      deadlines.within(new Promise(() => undefined), 20, stepTimeout),
      deadlines.within(new Promise(() => undefined), 40, stepTimeout),
    ];
    expect(await Promise.all(quick)).toHaveLength(5000);
    const outcomes = await Promise.allSettled(hung);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('leaves no timer behind once every pending step settled', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const deadlines = new Deadlines();
    await Promise.all([
      deadlines.within(Promise.resolve(1), 60_000, stepTimeout),
      deadlines.within(Promise.resolve(2), 5, stepTimeout),
    ]);
    expect(timers()).toBe(before);
  });
});
