/** Feature flags and one-time tokens: public helpers built on the store, over memory and Redis. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  createMemoryStore,
  createRedisStore,
  FeatureFlags,
  KvsModule,
  OneTimeTokens,
  provideFeatureFlags,
  provideOneTimeTokens,
  type KvsStore,
} from '../lib/index.js';
import { startRedis, stopAll, type RedisServer } from './support/redis-servers.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await stopAll();
});

const backends: [string, () => Promise<KvsStore>][] = [
  ['memory', async () => createMemoryStore()],
  ['redis', () => createRedisStore({ url: server.url, keyPrefix: `recipes:${Math.random()}:` })],
];

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const defaults = { newCheckout: false, maxUploadMb: 10, banner: 'hello' };

describe.each(backends)('feature flags on %s', (_name, open) => {
  it('reads defaults, and a change reaches an instance that polls (live: false) within refreshMs', async () => {
    const store = await open();
    const clock = manualClock();
    const a = new FeatureFlags(store, { defaults, clock: clock.now });
    const b = new FeatureFlags(store, { defaults, clock: clock.now, refreshMs: 1000, live: false });
    expect(await b.isEnabled('newCheckout')).toBe(false);
    await a.set('newCheckout', true);
    expect(await a.isEnabled('newCheckout')).toBe(true);
    expect(await b.isEnabled('newCheckout')).toBe(false); // b still within its refresh window
    clock.advance(1000);
    expect(await b.isEnabled('newCheckout')).toBe(true);
    await a.reset('newCheckout');
    clock.advance(1000);
    expect(await b.all()).toEqual(defaults);
    await store.close();
  });

  it('rejects unknown names and values of the wrong type, and ignores a stored value of the wrong type', async () => {
    const store = await open();
    const flags = new FeatureFlags(store, { defaults, refreshMs: 0 });
    await expect(flags.get('nope' as 'banner')).rejects.toThrow(/Unknown feature flag "nope"/);
    await expect(flags.set('maxUploadMb', 'big' as unknown as number)).rejects.toThrow(/number/);
    await store.set('flag:maxUploadMb', Buffer.from('"huge"'));
    expect(await flags.get('maxUploadMb')).toBe(10);
    await store.close();
  });
});

describe('feature flags while the store fails', () => {
  it('serves the last known value and asks the store again only after refreshMs', async () => {
    const clock = manualClock();
    const store = createMemoryStore();
    const flags = new FeatureFlags(store, { defaults, clock: clock.now, refreshMs: 1000 });
    await flags.set('banner', 'sale');
    let reads = 0;
    const failing = Object.assign(Object.create(store) as KvsStore, {
      getMany: () => {
        reads++;
        return Promise.reject(new Error('down'));
      },
    });
    const cut = new FeatureFlags(failing, { defaults, clock: clock.now, refreshMs: 1000 });
    expect(await cut.get('banner')).toBe('hello'); // this instance never read it: the default
    expect(await cut.get('banner')).toBe('hello');
    expect(reads).toBe(1);
    clock.advance(1000);
    await cut.get('banner');
    expect(reads).toBe(2);
    expect(flags.has('banner')).toBe(true);
    expect(flags.has('nope')).toBe(false);
    expect(flags.names()).toEqual(['newCheckout', 'maxUploadMb', 'banner']);
    await store.close();
  });

  it('tells arrays from objects', async () => {
    const store = createMemoryStore();
    const flags = new FeatureFlags(store, { defaults: { regions: ['eu'] as string[] } });
    await expect(flags.set('regions', { 0: 'us' } as unknown as string[])).rejects.toThrow(/array/);
    await store.close();
  });
});

describe.each(backends)('one-time tokens on %s', (_name, open) => {
  it('hands the payload to exactly one of many concurrent consumers', async () => {
    const store = await open();
    const tokens = new OneTimeTokens<{ returnTo: string }>(store, { prefix: 'oauth:' });
    const token = await tokens.issue({ returnTo: '/home' });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.consume(token)));
    expect(results.filter((r) => r !== undefined)).toEqual([{ returnTo: '/home' }]);
    expect(await tokens.consume(token)).toBeUndefined();
    expect(await tokens.consume('not-a-token')).toBeUndefined();
    expect(await tokens.consume('*')).toBeUndefined();
    await store.close();
  });
});

describe('one-time tokens expire', () => {
  it('refuses a token after its TTL', async () => {
    const clock = manualClock();
    const store = createMemoryStore({ clock: clock.now });
    const tokens = new OneTimeTokens(store, { ttlMs: 60_000 });
    const token = await tokens.issue('state');
    clock.advance(60_000);
    expect(await tokens.consume(token)).toBeUndefined();
    await store.close();
  });
});

describe('in a Nest app', () => {
  it('injects FeatureFlags and OneTimeTokens built on the registered store', async () => {
    @Injectable()
    class Login {
      constructor(
        readonly flags: FeatureFlags<typeof defaults>,
        readonly states: OneTimeTokens<{ returnTo: string }>,
      ) {}
    }
    @Module({
      imports: [KvsModule.forRoot()],
      providers: [
        Login,
        provideFeatureFlags({ defaults, refreshMs: 500 }),
        provideOneTimeTokens({ prefix: 'oauth-state:', ttlMs: 5 * 60_000 }),
      ],
    })
    class AppModule {}
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const login = app.get(Login);
    await login.flags.set('banner', 'sale');
    expect(await login.flags.get('banner')).toBe('sale');
    const state = await login.states.issue({ returnTo: '/cart' });
    expect(await login.states.consume(state)).toEqual({ returnTo: '/cart' });
    await app.close();
  });
});
