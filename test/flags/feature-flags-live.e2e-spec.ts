/**
 * Flags over the store's channel: a change on one instance is seen on the others long before
 * `refreshMs` (frozen here by a manual clock), and polling stays the fallback.
 */
import { describe, expect, it } from '@jest/globals';
import { createMemoryStore, FeatureFlags, type KvsStore } from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { waitUntil } from '../support/redis-servers.js';

const redis = useRedisServer();
const defaults = { newCheckout: false, banner: '' };

/** Flags whose clock never moves: without the channel they would never read the store again. */
function frozenFlags(
  store: KvsStore,
  live?: boolean,
  clock = { now: 0 },
): FeatureFlags<typeof defaults> {
  const flags = new FeatureFlags(store, {
    defaults,
    refreshMs: 60_000,
    clock: () => clock.now,
    ...(live === undefined ? {} : { live }),
  });
  redis.closeAfterTest({ close: async () => flags.close() });
  return flags;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  await waitUntil(what, async () => (await check()) || undefined, {
    timeoutMs: 10_000,
    intervalMs: 5,
  });
}

describe.each([
  [
    'redis',
    async () => [
      await redis.redisStore({ keyPrefix: 'live:' }),
      await redis.redisStore({ keyPrefix: 'live:' }),
    ],
  ],
  [
    'memory (one store object)',
    async () => {
      const store = redis.closeAfterTest(createMemoryStore());
      return [store, store];
    },
  ],
] as const)('live flags on %s', (_name, stores) => {
  it('sees set and reset of another instance at once, refreshMs notwithstanding', async () => {
    const [one, two] = await stores();
    const a = frozenFlags(one!);
    const b = frozenFlags(two!);
    expect(await b.get('newCheckout')).toBe(false);
    await a.set('newCheckout', true);
    await until('B to see the flag on', () => b.get('newCheckout'));
    await a.set('banner', 'sale');
    await until('B to see the banner', async () => (await b.get('banner')) === 'sale');
    await a.reset('newCheckout');
    await until('B to see the default again', async () => !(await b.get('newCheckout')));
  });
});

describe('live: false', () => {
  it('relies on polling every refreshMs only', async () => {
    const [one, two] = [
      await redis.redisStore({ keyPrefix: 'poll:' }),
      await redis.redisStore({ keyPrefix: 'poll:' }),
    ];
    const clock = { now: 0 };
    const a = frozenFlags(one);
    const b = frozenFlags(two, false, clock);
    expect(await b.get('newCheckout')).toBe(false);
    // A live instance beside B hears the change within milliseconds; B does not listen.
    const beside = frozenFlags(two);
    expect(await beside.get('newCheckout')).toBe(false);
    await a.set('newCheckout', true);
    await until('the live instance to see it', () => beside.get('newCheckout'));
    expect(await b.get('newCheckout')).toBe(false);
    clock.now += 60_000;
    expect(await b.get('newCheckout')).toBe(true);
  });

  it('rejects a live option that is not a boolean', () => {
    expect(() => new FeatureFlags(createMemoryStore(), { defaults, live: 'yes' as never })).toThrow(
      /Invalid live: expected true or false/,
    );
  });
});

describe('after the channel was down', () => {
  it('reads every flag anew, as changes meanwhile were not heard', async () => {
    const [one, two] = [
      await redis.redisStore({ keyPrefix: 'down:' }),
      await redis.redisStore({ keyPrefix: 'down:' }),
    ];
    const b = frozenFlags(two);
    expect(await b.get('banner')).toBe('');
    await redis.server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // Written while B's subscriber is gone: B cannot hear of it, but reads again once back up.
    await one.set('flag:banner', Buffer.from(JSON.stringify('while down')));
    await until('B to read the flags again', async () => (await b.get('banner')) === 'while down');
  });
});
