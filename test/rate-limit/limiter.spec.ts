/**
 * RateLimiter on the memory backend with an injected clock: the decision it returns, its checks,
 * its state shared per store, and its memory staying bounded.
 */
import { describe, expect, it } from '@jest/globals';
import {
  createMemoryStore,
  isKvsError,
  KvsError,
  KvsInvalidArgumentError,
  RateLimiter,
  type KvsStore,
  type RateLimitPolicy,
} from '../../lib/index.js';
import { memoryCountersOf } from '../../lib/rate-limit/backends/memory.counters.js';
import { T0 } from './rate-limit.timeline.js';

function limiter(options: { maxKeys?: number; store?: KvsStore } = {}) {
  const clock = { now: T0 };
  const store = options.store ?? createMemoryStore({ sweepIntervalMs: 0 });
  const rl = new RateLimiter({ store, clock: () => clock.now, maxKeys: options.maxKeys });
  return { rl, clock, store };
}

const perSecond: RateLimitPolicy = { limit: 3, window: 1000, name: 'per-second' };
const perMinute: RateLimitPolicy = { limit: 5, window: 60_000, name: 'per-minute' };

describe('RateLimiter.consume', () => {
  it('answers allowed, remaining, reset and retry for the binding policy, and every policy', async () => {
    const { rl, clock } = limiter();
    clock.now += 250;
    expect(await rl.consume('user:1', [perSecond, perMinute])).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetMs: 1750, // sliding window: whole again at the end of the next window
      retryAfterMs: 0,
      policy: 'per-second',
      policies: [
        {
          name: 'per-second',
          limit: 3,
          window: 1000,
          allowed: true,
          remaining: 2,
          resetMs: 1750,
          retryAfterMs: 0,
        },
        {
          name: 'per-minute',
          limit: 5,
          window: 60_000,
          allowed: true,
          remaining: 4,
          resetMs: 119_750,
          retryAfterMs: 0,
        },
      ],
    });
    await rl.consume('user:1', [perSecond, perMinute]);
    await rl.consume('user:1', [perSecond, perMinute]);
    const refused = await rl.consume('user:1', [perSecond, perMinute]);
    expect(refused).toMatchObject({
      allowed: false,
      remaining: 0,
      policy: 'per-second',
      retryAfterMs: 1084, // 750 ms to the next window, then 3 * (1 - y/1000) + 1 <= 3 at y = 333.3
    });
    expect(refused.policies[1]).toMatchObject({ allowed: true, remaining: 2 }); // nothing spent
  });

  it('keeps keys apart, and a cost spends several units at once', async () => {
    const { rl } = limiter();
    expect((await rl.consume('a', perSecond, { cost: 3 })).remaining).toBe(0);
    expect((await rl.consume('a', perSecond)).allowed).toBe(false);
    expect((await rl.consume('b', perSecond)).remaining).toBe(2);
  });

  it('lets the programmatic limiter and the policies of other callers share one counter by name', async () => {
    const { rl, store } = limiter();
    const other = new RateLimiter({ store, clock: () => T0 });
    await rl.consume('shared', perSecond, { cost: 2 });
    expect((await other.consume('shared', perSecond)).remaining).toBe(0);
    const separate = limiter();
    expect((await separate.rl.consume('shared', perSecond)).remaining).toBe(2);
  });

  it('rejects bad arguments with errors that name the fix', async () => {
    const { rl } = limiter();
    await expect(rl.consume('', perSecond)).rejects.toThrow(/key: expected a non-empty string/);
    await expect(rl.consume('k', { limit: 0, window: 1000 })).rejects.toThrow(
      /limit must be a whole number >= 1, got 0/,
    );
    await expect(rl.consume('k', { limit: 5, window: 1.5 })).rejects.toThrow(
      /window must be a whole number/,
    );
    await expect(
      rl.consume('k', { limit: 5, window: 1000, algorithm: 'leaky' as 'fixed-window' }),
    ).rejects.toThrow(/algorithm must be one of sliding-window, fixed-window, token-bucket/);
    await expect(rl.consume('k', perSecond, { cost: 4 })).rejects.toThrow(
      /cost 4 exceeds the limit 3: such a request could never be admitted/,
    );
    await expect(
      rl.consume('k', [perSecond, { ...perMinute, name: 'per-second' }]),
    ).rejects.toThrow(/both named "per-second"; give each a distinct name/);
    await expect(rl.consume('k', { limit: 1, window: 1, name: 'a b' })).rejects.toBeInstanceOf(
      KvsInvalidArgumentError,
    );
    await expect(rl.consume('k', [])).rejects.toThrow(/at least one policy/);
  });

  it('refuses policies decided together whose keys Redis Cluster would put in different slots', async () => {
    const { rl } = limiter();
    const entries = [
      { key: 'user:1', policy: perSecond },
      { key: 'ip:127.0.0.1', policy: perMinute },
    ];
    await expect(rl.decide(entries)).rejects.toThrow(/common hash tag/);
    const tagged = [
      { key: '{user:1}', policy: perSecond },
      { key: '{user:1}:ip:127.0.0.1', policy: perMinute },
    ];
    expect((await rl.decide(tagged)).allowed).toBe(true);
    expect(rl.counterKey('{user:1}:ip:127.0.0.1', perMinute)).toBe(
      'rl:{user:1}:ip:127.0.0.1:per-minute:s',
    );
  });

  it.each([
    ['an Error', new TypeError('boom')],
    ['a thrown string', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
  ])(
    'hands over a store failure that is not a KvsError as a KvsError with a stable code (%s)',
    async (_kind, thrown) => {
      const failing = async (): Promise<unknown> => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a store that throws a string
        throw thrown;
      };
      const store = Object.assign(createMemoryStore(), { evalScript: failing });
      const decision = await new RateLimiter({ store, onStoreError: 'allow' }).consume(
        'k',
        perSecond,
      );
      expect(decision.allowed).toBe(true);
      expect(decision.storeError).toBeInstanceOf(KvsError);
      expect(isKvsError(decision.storeError, 'KVS_UNEXPECTED')).toBe(true);
      expect(decision.storeError?.name).toBe('KvsUnexpectedError');
      expect(decision.storeError?.cause).toBe(thrown);
      expect(decision.storeError?.message).toMatch(/^The rate-limit store failed/);
      expect(decision.storeError?.message).not.toContain('sk_live');
    },
  );

  it('says which stores it cannot work with, and that it needs one outside Nest', async () => {
    const notAStore = { get: () => undefined } as unknown as KvsStore;
    await expect(new RateLimiter({ store: notAStore }).consume('k', perSecond)).rejects.toThrow(
      /needs a MemoryStore or a RedisStore/,
    );
    await expect(new RateLimiter().consume('k', perSecond)).rejects.toThrow(
      /outside a Nest application: pass a store instance/,
    );
  });
});

describe('memory backend bounds', () => {
  it('keeps at most maxKeys counters under many distinct keys, evicting the least recently used', async () => {
    const { rl, store } = limiter({ maxKeys: 1000 });
    await rl.consume('hot', perMinute);
    const counters = memoryCountersOf(store, 0);
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      await rl.consume(`client:${i}`, perMinute);
      if (i % 100 === 0) await rl.consume('hot', perMinute, { cost: 0 });
      largest = Math.max(largest, counters.size);
    }
    expect(largest).toBe(1000);
    expect(counters.get(rl.counterKey('hot', perMinute), T0)).toBeDefined();
    expect(counters.get(rl.counterKey('client:0', perMinute), T0)).toBeUndefined();
  });

  it('reclaims expired counters a few per decision, with no timer', async () => {
    const { rl, clock, store } = limiter();
    for (let i = 0; i < 5000; i++) await rl.consume(`client:${i}`, perSecond);
    const counters = memoryCountersOf(store, 0);
    expect(counters.size).toBe(5000);
    clock.now += 2000; // every counter of a 1 s sliding window is now irrelevant
    for (let i = 0; i < 1300; i++) await rl.consume('steady', perSecond, { cost: 0 });
    expect(counters.size).toBeLessThanOrEqual(1);
  });
});
