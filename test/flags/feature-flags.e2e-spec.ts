/**
 * Feature flags on a real redis-server stopped with SIGSTOP (it accepts connections and commands,
 * and answers none): the reads of one request wait at most one `timeout` in total, whether this
 * instance knew the values already or not, and flags read through again once Redis answers.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createMemoryStore,
  createRedisStore,
  FeatureFlags,
  type KvsStore,
} from '../../lib/index.js';
import { deferred, manualClock } from '../cache/cache.fixtures.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';

const defaults = { newCheckout: false, banner: '', maxUploadMb: 10, regions: ['eu'] };
type Flags = typeof defaults;
const TIMEOUT = 300;

let server: RedisServer;
let store: KvsStore;
beforeAll(async () => {
  server = await startRedis();
  // The default commandTimeout (2000) is far above the flags' timeout: only the flags' own bound
  // can keep the reads of a request short.
  store = await createRedisStore({ url: server.url, keyPrefix: 'stall:' });
}, 30_000);
afterEach(() => resume());
afterAll(async () => {
  await store.close();
  await stopAll();
}, 30_000);

let stopped = false;
function stall(): void {
  process.kill(server.pid!, 'SIGSTOP');
  stopped = true;
}
function resume(): void {
  if (stopped) process.kill(server.pid!, 'SIGCONT');
  stopped = false;
}

let tests = 0;
beforeEach(() => void tests++);

/** Flags of this test (a prefix of its own), with a timeout of TIMEOUT ms. */
function flagsWith(clock: { now: () => number }): FeatureFlags<Flags> {
  const prefix = `t${tests}:flag:`;
  return new FeatureFlags(store, {
    defaults,
    prefix,
    refreshMs: 1000,
    clock: clock.now,
    timeout: TIMEOUT,
  });
}

/** One request's flag reads, one after the other as a handler makes them; and how long they took. */
async function request(flags: FeatureFlags<Flags>) {
  const started = performance.now();
  const seen = {
    banner: await flags.get('banner'),
    newCheckout: await flags.isEnabled('newCheckout'),
    maxUploadMb: await flags.get('maxUploadMb'),
    regions: await flags.get('regions'),
  };
  return { seen, took: performance.now() - started };
}

describe('feature flags while Redis does not answer', () => {
  it('serve the last known values, waiting at most one timeout per request', async () => {
    const clock = manualClock();
    const flags = flagsWith(clock);
    await flags.set('banner', 'sale');
    await flags.set('newCheckout', true);
    expect((await request(flags)).seen).toMatchObject({ banner: 'sale', newCheckout: true });
    clock.advance(1000); // every value is due for a read
    stall();
    const first = await request(flags);
    expect(first.seen).toEqual({
      banner: 'sale',
      newCheckout: true,
      maxUploadMb: 10,
      regions: ['eu'],
    });
    expect(first.took).toBeLessThan(2 * TIMEOUT);
    const next = await request(flags); // the read still hangs: nothing to wait for
    expect(next.seen).toEqual(first.seen);
    expect(next.took).toBeLessThan(TIMEOUT);
  }, 30_000);

  it('bound the first read when nothing is known yet: the defaults within one timeout', async () => {
    stall();
    const first = await request(flagsWith(manualClock()));
    expect(first.seen).toEqual({
      banner: '',
      newCheckout: false,
      maxUploadMb: 10,
      regions: ['eu'],
    });
    expect(first.took).toBeGreaterThanOrEqual(TIMEOUT - 5);
    expect(first.took).toBeLessThan(2 * TIMEOUT);
  }, 30_000);

  it('read through again once Redis answers', async () => {
    const clock = manualClock();
    const flags = flagsWith(clock);
    await flags.get('banner');
    clock.advance(1000);
    stall();
    expect((await request(flags)).seen.banner).toBe('');
    resume();
    // Answered after the read that hung (one connection, replies in order); setImmediate lets
    // every promise callback of that read run first.
    await store.ping();
    await new Promise((resolve) => setImmediate(resolve));
    await flagsWith(clock).set('banner', 'back'); // another instance flips it
    clock.advance(1000);
    expect(await flags.get('banner')).toBe('back'); // the first read after refreshMs sees it
  }, 30_000);
});

describe('feature flags and a read in flight', () => {
  it('keep a value set while a read was under way, and read every flag in one store call', async () => {
    const memory = createMemoryStore();
    const answer = deferred<(Buffer | undefined)[]>();
    const calls: string[][] = [];
    const slow = new Proxy(memory, {
      get(target, property) {
        if (property === 'getMany') {
          return (keys: readonly string[]) => {
            calls.push([...keys]);
            return answer.promise;
          };
        }
        const member: unknown = Reflect.get(target, property);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const flags = new FeatureFlags(slow, { defaults, timeout: 60_000 });
    const read = flags.get('banner');
    await flags.set('banner', 'new');
    answer.resolve([undefined, Buffer.from('"old"'), undefined, undefined]);
    expect(await read).toBe('new');
    expect(await flags.get('banner')).toBe('new');
    expect(calls).toEqual([
      ['flag:newCheckout', 'flag:banner', 'flag:maxUploadMb', 'flag:regions'],
    ]);
    await memory.close();
  });

  it('rejects a timeout that is not a number of ms >= 0', () => {
    const store = createMemoryStore();
    for (const timeout of [-1, Infinity, NaN, '150' as unknown as number]) {
      expect(() => new FeatureFlags(store, { defaults, timeout })).toThrow(
        /Invalid timeout: expected a finite number of ms >= 0/,
      );
    }
  });
});
