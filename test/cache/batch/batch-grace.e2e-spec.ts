/**
 * Batches and grace periods on memory and on Redis, following an injected clock: a graced entry
 * is a miss whose value answers when the batch's load fails, an entry in its backoff is served
 * without a load, and loader timeouts bound a batch as they bound a single call.
 */
import { describe, expect, it } from '@jest/globals';
import { KvsCacheTimeoutError, type KvsCacheModuleOptions } from '../../../lib/index.js';
import { rejected } from '../../support/thrown.js';
import { boot, manualClock, recordingLogger, uniquePrefix, until } from '../cache.fixtures.js';
import { redisTarget, useServers, type Target } from '../grace/grace.fixtures.js';

const { server } = useServers();

const targets: [string, Target][] = [
  ['memory', () => ({ backend: 'memory' })],
  ['redis', redisTarget(() => ({ type: 'redis', url: server().url }))],
];

/** A loader answering `slow:<key>` once `release()` is called. */
function slowLoader() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const load = async (missing: string[]) => {
    await gate;
    return missing.map((key) => `slow:${key}`);
  };
  return { load, release };
}

/** A loader that records its calls and answers `<round>:<key>`, or fails with `down`. */
function loader(round: string) {
  const calls: string[][] = [];
  const load = async (missing: string[]): Promise<string[]> => {
    calls.push(missing);
    if (round === 'down') throw new Error('db down');
    return missing.map((key) => `${round}:${key}`);
  };
  return { calls, load };
}

describe.each(targets)('wrapMany with grace (%s)', (_name, target) => {
  const clock = manualClock();

  /** An app whose entries a and b were loaded as `old:<key>` with a ttl of 1 s. */
  async function primed(cache: KvsCacheModuleOptions) {
    const logger = recordingLogger();
    const booted = await boot({
      ...target(`{${uniquePrefix()}}`),
      memory: { clock: clock.now },
      cache: { clock: clock.now, logger, timeout: '5s', ttl: 1_000, ...cache },
    });
    await booted.cache.wrapMany(['a', 'b'], loader('old').load);
    booted.cache.resetStats();
    return { ...booted, logger };
  }

  it('loads a graced entry as a miss', async () => {
    const { cache } = await primed({ grace: '1h' });
    clock.advance(1_001);
    const next = loader('new');
    expect(await cache.wrapMany(['a', 'b', 'c'], next.load)).toEqual(['new:a', 'new:b', 'new:c']);
    expect(next.calls).toEqual([['a', 'b', 'c']]);
    expect(cache.stats()).toMatchObject({ hits: 0, stale: 0, misses: 3, graced: 0 });
    expect(cache.stats()).toMatchObject({ localHits: 0, storeHits: 0 }); // no entry answered
  });

  it('answers with the graced values when the load fails, then serves them in the backoff', async () => {
    const { cache, logger } = await primed({ grace: '1h', graceBackoff: '10s' });
    clock.advance(1_001);
    const down = loader('down');
    expect(await cache.wrapMany(['b', 'a', 'b'], down.load)).toEqual(['old:b', 'old:a', 'old:b']);
    expect(logger.lines.join('\n')).toMatch(
      /The load of KvsCache.wrapMany\(\) failed \(Error: db down\); its graced entry answers/,
    );
    expect(cache.stats()).toMatchObject({ stale: 2, graced: 2, misses: 0, loads: 1 });
    expect(cache.stats()).toMatchObject({ localHits: 0, storeHits: 2 }); // the graced entries
    // The backoff: served at once, the loader not called; a key without an entry still loads.
    clock.advance(9_000);
    const next = loader('new');
    expect(await cache.wrapMany(['a', 'b', 'c'], next.load)).toEqual(['old:a', 'old:b', 'new:c']);
    expect(next.calls).toEqual([['c']]);
    // After it, a load again.
    clock.advance(1_001);
    expect(await cache.wrapMany(['a', 'b'], next.load)).toEqual(['new:a', 'new:b']);
    expect(next.calls).toEqual([['c'], ['a', 'b']]);
  });

  it("rejects with the loader's error when a missing key has no graced value", async () => {
    const { cache } = await primed({ grace: '1h' });
    clock.advance(1_001);
    const err = await rejected(() => cache.wrapMany(['a', 'c'], loader('down').load));
    expect(err.message).toBe('db down');
    // The graced entry of a was kept, and backs off: it answers alone.
    expect(await cache.wrapMany(['a'], loader('down').load)).toEqual(['old:a']);
  });

  it('a wrap() joining a failing batch gets the graced value too', async () => {
    const { cache } = await primed({ grace: '1h' });
    clock.advance(1_001);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = cache.wrapMany(['a', 'b'], async () => {
      await gate;
      throw new Error('db down');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const single = cache.wrap('a', () => 'unused');
    release();
    expect(await batch).toEqual(['old:a', 'old:b']);
    expect(await single).toBe('old:a');
  });

  it('hardTimeout: graced keys answer with their entries, the others reject; the load still stores', async () => {
    const { cache } = await primed({ grace: '1h', hardTimeout: 50 });
    clock.advance(1_001);
    const slow = slowLoader();
    expect(await cache.wrapMany(['a', 'b'], slow.load)).toEqual(['old:a', 'old:b']);
    await until(() => cache.stats().writes === 2); // both entries, re-dated for the backoff
    // a is in its backoff now (served, no load); c has no graced entry.
    const err = await rejected(() => cache.wrapMany(['a', 'c'], slow.load));
    expect(err).toBeInstanceOf(KvsCacheTimeoutError);
    expect(err.message).toMatch(/KvsCache.wrapMany\(\) did not load "c" within hardTimeout/);
    slow.release();
    await until(async () => (await cache.get('c')) === 'slow:c');
    expect(cache.stats()).toMatchObject({ timeouts: 3, graced: 3 });
  });

  it('softTimeout: graced keys answer at it while the load goes on', async () => {
    const { cache } = await primed({ grace: '1h', softTimeout: 50 });
    clock.advance(1_001);
    const slow = slowLoader();
    expect(await cache.wrapMany(['b', 'a'], slow.load)).toEqual(['old:b', 'old:a']);
    slow.release();
    await until(async () => (await cache.get('a')) === 'slow:a');
    expect(await cache.get('b')).toBe('slow:b');
  });
});
