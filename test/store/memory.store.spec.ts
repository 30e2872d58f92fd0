import { describe, expect, it } from '@jest/globals';
import { createMemoryStore, MemoryStore } from '../../lib/index.js';
import { describeStoreConformance, rejectsWith } from './store.conformance.js';

/** A clock the test moves by hand. */
function manualClock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

let clock = manualClock();
describeStoreConformance('memory', {
  create: async () => {
    clock = manualClock();
    return createMemoryStore({ clock: clock.now });
  },
  advance: async (ms) => clock.advance(ms),
});

describe('memory store', () => {
  it('evicts the least recently used entry past maxEntries', async () => {
    const store = createMemoryStore({ maxEntries: 2 });
    await store.set('a', Buffer.from('1'));
    await store.set('b', Buffer.from('2'));
    await store.get('a');
    await store.set('c', Buffer.from('3'));
    expect(await store.list()).toEqual(['a', 'c']);
    expect(store.size).toBe(2);
    await store.close();
  });

  it('stays within maxEntries under many keys and keeps a key that is used', async () => {
    const store = createMemoryStore({ maxEntries: 100 });
    await store.set('hot', Buffer.from('h'));
    for (let i = 0; i < 5000; i++) {
      await store.set(`cold:${i}`, Buffer.from('c'));
      expect(await store.has('hot')).toBe(true);
      await store.get('hot');
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(store.size).toBe(100);
    expect(await store.has('cold:0')).toBe(false);
    expect(await store.has('cold:4999')).toBe(true);
    await store.close();
  });

  it('sweeps expired entries in bounded batches without reads', async () => {
    const c = manualClock();
    const store = new MemoryStore({ clock: c.now, sweepIntervalMs: 0, sweepBatchSize: 1000 });
    for (let i = 0; i < 2500; i++) await store.set(`k${i}`, Buffer.from('v'), i % 2 === 0 ? 10 : 0);
    c.advance(20);
    expect(store.sweep()).toBe(500);
    expect(store.sweep()).toBe(500);
    expect(store.sweep()).toBe(250);
    expect(store.size).toBe(1250);
    expect(store.sweep()).toBe(0);
    await store.close();
  });

  it('runs the sweep from an unref()ed timer', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 5 });
    await store.set('k', Buffer.from('v'), 1);
    const swept = await new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        if (store.size === 0) {
          clearInterval(poll);
          resolve(0);
        }
      }, 5);
    });
    expect(swept).toBe(0);
    await store.close();
  });

  it('rejects invalid options with a clear error', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => createMemoryStore({ maxEntries: 1.5 })).toThrow(/maxEntries/);
    expect(() => createMemoryStore({ sweepIntervalMs: -1 })).toThrow(/sweepIntervalMs/);
    expect(() => createMemoryStore({ clock: 5 as unknown as () => number })).toThrow(/clock/);
  });

  it('rejects operations after close', async () => {
    const store = createMemoryStore();
    await store.close();
    await rejectsWith(store.get('k'), 'KVS_CLOSED');
  });
});
