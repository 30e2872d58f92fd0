/**
 * KvsCache.wrapMany on memory and on Redis: every position answered in the caller's order, one
 * loader call with only the missing keys, in-flight keys shared with `wrap` and other batches,
 * evictions during a load, Map and array results, errors, stale hits refreshed in one call.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KvsCacheModuleOptions } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { BACKENDS, boot, closeApps, deferred, manualClock, until } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

/** A loader that records its calls and answers `v:<key>`, optionally held until `gate`. */
function recordingLoader(gate?: Promise<void>) {
  const calls: string[][] = [];
  const started = deferred();
  const load = async (missing: string[]): Promise<string[]> => {
    calls.push(missing);
    started.resolve();
    await gate;
    return missing.map((key) => `v:${key}`);
  };
  return { calls, started: started.promise, load };
}

describe.each(BACKENDS)('KvsCache.wrapMany on %s', (backend) => {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const start = (cache: KvsCacheModuleOptions = {}) =>
    boot({ backend, url: redis.server.url, cache: { timeout: '5s', ...cache } });

  it("answers every position in order and loads only the missing keys, once, in the caller's order", async () => {
    const { cache } = await start();
    await cache.set('user:2', { id: '2', from: 'cache' });
    cache.resetStats();
    const calls: string[][] = [];
    const users = await cache.wrapMany(
      ['user:3', 'user:2', 'user:1', 'user:3'],
      async (missing) => {
        calls.push(missing);
        return missing.map((key) => ({ id: key.slice(5), from: 'db' }));
      },
    );
    expect(users).toEqual([
      { id: '3', from: 'db' },
      { id: '2', from: 'cache' },
      { id: '1', from: 'db' },
      { id: '3', from: 'db' },
    ]);
    expect(users[0]).not.toBe(users[3]);
    expect(calls).toEqual([['user:3', 'user:1']]);
    expect(cache.stats()).toMatchObject({ hits: 1, storeHits: 1, misses: 2, loads: 1, writes: 2 });

    const again = await cache.wrapMany(['user:1', 'user:3'], () => Promise.reject(new Error('no')));
    expect(again).toEqual([
      { id: '1', from: 'db' },
      { id: '3', from: 'db' },
    ]);
    expect(await cache.wrapMany([], () => Promise.reject(new Error('not called')))).toEqual([]);
  });

  it('shares in-flight keys with overlapping batches and wrap(): each key loads once', async () => {
    const { cache } = await start();
    const gate = deferred();
    const first = recordingLoader(gate.promise);
    const second = recordingLoader(gate.promise);
    const batch1 = cache.wrapMany(['a', 'b', 'c'], first.load);
    await first.started;
    const single = cache.wrap('b', () => 'wrap would load b');
    const batch2 = cache.wrapMany(['c', 'd', 'a'], second.load);
    await second.started;
    gate.resolve();
    expect(await batch1).toEqual(['v:a', 'v:b', 'v:c']);
    expect(await single).toBe('v:b');
    expect(await batch2).toEqual(['v:c', 'v:d', 'v:a']);
    expect([first.calls, second.calls]).toEqual([[['a', 'b', 'c']], [['d']]]);
    expect(cache.stats()).toMatchObject({ misses: 7, loads: 2 });
  });

  it('joins a wrap() in flight instead of loading its key again', async () => {
    const { cache } = await start();
    const gate = deferred();
    const single = cache.wrap('x', async () => {
      await gate.promise;
      return { from: 'wrap' };
    });
    const batch = recordingLoader();
    const pending = cache.wrapMany(['x', 'y'], batch.load);
    await batch.started;
    gate.resolve();
    const values = await pending;
    expect(values).toEqual([{ from: 'wrap' }, 'v:y']);
    expect(values[0]).not.toBe(await single);
    expect(batch.calls).toEqual([['y']]);
  });

  it('does not write back a key evicted or set while the batch loads it', async () => {
    const { cache } = await start();
    const gate = deferred();
    const loader = recordingLoader(gate.promise);
    const pending = cache.wrapMany(['a', 'b', 'c'], loader.load);
    await loader.started;
    await cache.delete('a');
    await cache.set('b', 'newer b');
    gate.resolve();
    expect(await pending).toEqual(['v:a', 'v:b', 'v:c']);
    expect(await cache.lookup('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('newer b');
    expect(await cache.get('c')).toBe('v:c');
  });

  it('takes a Map: a key it lacks is undefined, cached with cacheNull, not without', async () => {
    const { cache } = await start();
    const found = new Map([['sku:1', 1999]]);
    expect(await cache.wrapMany(['sku:1', 'sku:2'], async () => found)).toEqual([1999, undefined]);
    expect(await cache.lookup('sku:2')).toEqual({ value: undefined });

    const options = { cacheNull: false, namespace: 'strict' };
    expect(await cache.wrapMany(['sku:1', 'sku:2'], async () => found, options)).toEqual([
      1999,
      undefined,
    ]);
    expect(await cache.lookup('sku:1', { namespace: 'strict' })).toEqual({ value: 1999 });
    expect(await cache.lookup('sku:2', { namespace: 'strict' })).toBeUndefined();
  });

  it('stores each value unless unless(value, key) vetoes it', async () => {
    const { cache } = await start();
    const values = await cache.wrapMany(['a', 'b'], async () => [1, -1], {
      unless: (value: number, key: string) => value < 0 && key === 'b',
    });
    expect(values).toEqual([1, -1]);
    expect(await cache.lookup('a')).toEqual({ value: 1 });
    expect(await cache.lookup('b')).toBeUndefined();
  });

  it('rejects a result of the wrong length or shape with a typed error, and stores nothing', async () => {
    const { cache } = await start();
    await expect(cache.wrapMany(['a', 'b'], async () => ['one'])).rejects.toMatchObject({
      code: 'KVS_INVALID_ARGUMENT',
      message: expect.stringContaining('resolved 1 value for 2 missing keys'),
    });
    await expect(cache.wrapMany(['a'], async () => 'a' as never)).rejects.toThrow(
      /resolved a string \(1 char\); it must resolve an array with one value per key/,
    );
    expect(await cache.lookup('a')).toBeUndefined();
    expect(await cache.lookup('b')).toBeUndefined();
  });

  it("rejects the call and every joiner with the loader's error, and caches nothing", async () => {
    const { cache } = await start();
    const gate = deferred();
    const started = deferred();
    const failing = cache.wrapMany(['a', 'b'], async () => {
      started.resolve();
      await gate.promise;
      throw new Error('db down');
    });
    await started.promise;
    const joiner = cache.wrap('b', () => 'unused');
    const other = recordingLoader();
    const overlapping = cache.wrapMany(['a', 'c'], other.load);
    gate.resolve();
    await expect(failing).rejects.toThrow('db down');
    await expect(joiner).rejects.toThrow('db down');
    await expect(overlapping).rejects.toThrow('db down');
    expect(other.calls).toEqual([['c']]);
    expect(await cache.lookup('a')).toBeUndefined();
    expect(await cache.wrapMany(['a', 'b'], async (missing) => missing)).toEqual(['a', 'b']);
  });

  it('names what is wrong with bad arguments', async () => {
    const { cache } = await start();
    const load = async (missing: string[]) => missing;
    await expect(cache.wrapMany('a' as never, load)).rejects.toThrow(
      'Invalid KvsCache.wrapMany() argument keys: expected an array of non-empty strings',
    );
    await expect(cache.wrapMany(['a', ''], load)).rejects.toThrow(/key: expected a non-empty/);
    await expect(cache.wrapMany(['a'], 'load' as never)).rejects.toThrow(/loadMissing/);
    await expect(cache.wrapMany(['a'], load, { lock: true } as never)).rejects.toThrow(
      /'lock' is an option of .*not of the KvsCache.wrapMany\(\) options/,
    );
  });

  it('serves stale hits and refreshes them together with one background call', async () => {
    const clock = manualClock();
    const { cache } = await start({ clock: clock.now, ttl: '1m', staleTtl: '10m' });
    await cache.wrapMany(['a', 'b'], async (missing) => missing.map((key) => `old ${key}`));
    clock.advance(61_000);
    await cache.set('c', 'fresh c');
    cache.resetStats();
    const loader = recordingLoader();
    expect(await cache.wrapMany(['a', 'b', 'c', 'd'], loader.load)).toEqual([
      'old a',
      'old b',
      'fresh c',
      'v:d',
    ]);
    expect(loader.calls).toEqual([['d'], ['a', 'b']]);
    expect(cache.stats()).toMatchObject({ stale: 2, hits: 1, misses: 1, loads: 2 });
    await until(async () => (await cache.get('b')) === 'v:b');
    expect(await cache.get('a')).toBe('v:a');
  });
});

describe('KvsCache.wrapMany while Redis is down', () => {
  afterEach(async () => {
    if (!redis.server.running) await redis.server.restart();
  }, 30_000);

  it('loads every key and answers: a failing store never fails the call', async () => {
    const { cache } = await boot({
      backend: 'redis',
      url: redis.server.url,
      cache: { timeout: 150 },
    });
    await cache.set('a', 'cached a');
    await redis.server.kill();
    const loader = recordingLoader();
    expect(await cache.wrapMany(['a', 'b'], loader.load)).toEqual(['v:a', 'v:b']);
    expect(loader.calls).toEqual([['a', 'b']]);
    expect(cache.stats()).toMatchObject({ misses: 2, writes: 1 });
    expect(cache.stats().errors).toBeGreaterThan(0);
  });
});

describe('KvsCache.wrapMany with caching off', () => {
  it('calls the loader with every distinct key and answers every position', async () => {
    const { cache } = await boot({ backend: 'memory', cache: { enabled: false } as never });
    const loader = recordingLoader();
    expect(await cache.wrapMany(['a', 'b', 'a'], loader.load)).toEqual(['v:a', 'v:b', 'v:a']);
    expect(await cache.wrapMany(['a'], loader.load)).toEqual(['v:a']);
    expect(loader.calls).toEqual([['a', 'b'], ['a']]);
    await expect(cache.wrapMany(['a'], async () => [])).rejects.toThrow('resolved 0 values');
  });
});
