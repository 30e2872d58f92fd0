/**
 * nestjs-kvs/keyv against Keyv's own adapter test suite (@keyv/test-suite, Keyv 5) and against the
 * Keyv 6 storage-adapter contract, each over the memory store and a redis-server this suite
 * starts. @keyv/test-suite is written for Vitest; `vitestLike` hands it Jest's functions.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import { Keyv } from 'keyv';
import { Keyv as Keyv6 } from 'keyv6';
import { KvsKeyvAdapter } from '../../lib/adapters/keyv/index.js';
import { BACKEND_NAMES, useRedisServer } from '../support/backends.js';

type Suite = Parameters<typeof keyvTestSuite>[0];

/** The part of Vitest's API that @keyv/test-suite calls, on Jest, skipping the tests `skip` names. */
const vitestLike = (skip: Record<string, string> = {}) =>
  ({
    it: (name: string, fn: (t: { expect: typeof expect }) => unknown) =>
      (name in skip ? it.skip : it)(name, async () => {
        await fn({ expect });
      }),
    beforeEach,
    afterEach,
  }) as unknown as Suite;

const redis = useRedisServer();
const stores = redis.suiteStores({ keyPrefix: 'app:' });

describe.each(BACKEND_NAMES)('@keyv/test-suite (Keyv 5) on %s', (name) => {
  const adapter = () => new KvsKeyvAdapter(stores[name]);
  keyvTestSuite(vitestLike(), Keyv, adapter);
  keyvIteratorTests(vitestLike(), Keyv, adapter);
});

describe.each(BACKEND_NAMES)('Keyv 6 storage-adapter contract on %s', (name) => {
  const adapter = () => new KvsKeyvAdapter(stores[name], { keyv: 6 });
  const soon = (ms: number) => Date.now() + ms;

  beforeEach(async () => {
    await adapter().clear();
  });

  it('set/get round-trips text; a missing key is undefined', async () => {
    const s = adapter();
    expect(await s.set('k', 'text')).toBe(true);
    expect(await s.get('k')).toBe('text');
    expect(await s.get('missing')).toBeUndefined();
  });

  it('delete and has answer whether the key was there', async () => {
    const s = adapter();
    await s.set('k', 'v');
    expect(await s.has('k')).toBe(true);
    expect(await s.delete('k')).toBe(true);
    expect(await s.delete('k')).toBe(false);
    expect(await s.has('k')).toBe(false);
  });

  it('setMany, getMany, hasMany and deleteMany answer per key, [] for []', async () => {
    const s = adapter();
    expect(await s.setMany([])).toEqual([]);
    expect(
      await s.setMany([
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]),
    ).toEqual([true, true]);
    expect(await s.getMany(['a', 'missing', 'b'])).toEqual(['1', undefined, '2']);
    expect(await s.hasMany(['a', 'missing'])).toEqual([true, false]);
    expect(await s.getMany([])).toEqual([]);
    expect(await s.hasMany([])).toEqual([]);
    expect(await s.deleteMany([])).toEqual([]);
    expect(await s.deleteMany(['a', 'missing', 'b'])).toEqual([true, false, true]);
    expect(await s.getMany(['a', 'b'])).toEqual([undefined, undefined]);
  });

  it('takes an absolute expiry: expires at the deadline; a past deadline stores nothing', async () => {
    const s = adapter();
    await s.set('soon', 'v', soon(300));
    await s.set('past', 'v', soon(-300));
    await s.setMany([
      { key: 'many-soon', value: 'v', expires: soon(300) },
      { key: 'many-forever', value: 'v' },
    ]);
    expect(await s.get('soon')).toBe('v');
    expect(await s.get('past')).toBeUndefined();
    const ttl = (await stores[name].ttl('keyv:soon'))!;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    expect(await stores[name].ttl('keyv:many-forever')).toBe(Infinity);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the memory store's real clock
    expect(await s.get('soon')).toBeUndefined();
    expect(await s.has('many-soon')).toBe(false);
    expect(await s.get('many-forever')).toBe('v');
  });

  it('namespace: settable, scopes keys, iterator() yields bare keys of its namespace only', async () => {
    const s = adapter();
    expect(s.namespace).toBeUndefined();
    await s.set('outside', 'x');
    s.namespace = 'ns';
    expect(s.namespace).toBe('ns');
    await s.set('k:1', 'one');
    await s.set('k:2', 'two');
    expect(await stores[name].has('keyv:ns:k:1')).toBe(true);
    const seen = new Map<string, string>();
    for await (const [key, value] of s.iterator()) seen.set(key, value);
    expect(seen).toEqual(
      new Map([
        ['k:1', 'one'],
        ['k:2', 'two'],
      ]),
    );
    s.namespace = 'empty';
    const none: unknown[] = [];
    for await (const entry of s.iterator()) none.push(entry);
    expect(none).toEqual([]);
    s.namespace = undefined;
    expect(s.namespace).toBeUndefined();
  });

  it('clear() without a namespace empties the adapter’s prefix; disconnect() resolves', async () => {
    const s = adapter();
    await stores[name].set('other', Buffer.from('kept'));
    await s.set('a', '1');
    await s.clear();
    expect(await s.get('a')).toBeUndefined();
    expect(await stores[name].has('other')).toBe(true);
    await stores[name].delete('other');
    await expect(s.disconnect()).resolves.toBeUndefined();
  });
});

describe.each(BACKEND_NAMES)('@keyv/test-suite Keyv-level tests on Keyv 6 (%s)', (name) => {
  const adapter = () => new KvsKeyvAdapter(stores[name]);
  // Keyv 5's API in a Keyv 5 suite; keyv6.e2e-spec.ts checks what Keyv 6 answers instead.
  const skip = {
    '.deleteMany([keys]) with nonexistent keys resolves to false':
      'Keyv 6 keyv.deleteMany() resolves one boolean per key',
  };
  keyvTestSuite(vitestLike(skip), Keyv6 as unknown as typeof Keyv, adapter);
});
