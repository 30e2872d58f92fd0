/**
 * The store contract as one suite, run unchanged against every backend. A backend's own spec
 * supplies a factory and a way to move time (an injected clock, or real waiting for Redis).
 */
import { describe, expect, it, beforeEach, afterEach } from '@jest/globals';
import {
  isKvsError,
  KvsError,
  MAX_KEY_BYTES,
  MAX_SCAN_BATCH_SIZE,
  MAX_TTL_MS,
  MAX_VALUE_BYTES,
  type KvsErrorCode,
  type KvsStore,
} from '../../lib/index.js';

export interface ConformanceTarget {
  /** A fresh, empty store (as far as its own keys go). */
  create(): Promise<KvsStore>;
  /** Moves time forward by at least `ms` for the store. */
  advance(ms: number): Promise<void>;
}

/** Asserts that `promise` rejects with a nestjs-kvs error of `code`, and returns it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: KvsErrorCode,
): Promise<KvsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KvsError);
  expect(isKvsError(err, code)).toBe(true);
  expect((err as KvsError).code).toBe(code);
  return err as KvsError;
}

const bytes = (text: string) => Buffer.from(text);

/** Every key an iterator yields. */
async function drain(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of keys) out.push(key);
  return out;
}

export function describeStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`${name}: store conformance`, () => {
    let store: KvsStore;
    beforeEach(async () => {
      store = await target.create();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('get / set / delete', () => {
      it('rejects KvsNotFoundError for a missing key', async () => {
        const err = await rejectsWith(store.get('missing'), 'KVS_NOT_FOUND');
        expect(err.message).toContain('"missing"');
      });

      it('round-trips bytes, including every byte value and an empty value', async () => {
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await store.set('all', all);
        await store.set('empty', new Uint8Array(0));
        expect((await store.get('all')).equals(all)).toBe(true);
        const empty = await store.get('empty');
        expect(Buffer.isBuffer(empty)).toBe(true);
        expect(empty.length).toBe(0);
      });

      it('accepts a plain Uint8Array and returns a Buffer', async () => {
        await store.set('u8', new Uint8Array([1, 2, 3]));
        const value = await store.get('u8');
        expect(Buffer.isBuffer(value)).toBe(true);
        expect([...value]).toEqual([1, 2, 3]);
      });

      it('overwrites the value', async () => {
        await store.set('k', bytes('one'));
        await store.set('k', bytes('two'));
        expect((await store.get('k')).toString()).toBe('two');
      });

      it('deletes a key, and deleting a missing key is not an error', async () => {
        await store.set('k', bytes('v'));
        await store.delete('k');
        await rejectsWith(store.get('k'), 'KVS_NOT_FOUND');
        await expect(store.delete('never-set')).resolves.toBeUndefined();
      });

      it('keeps well-formed Unicode keys exactly as given, and lists them so', async () => {
        const keys = [
          '\u{10FFFF}',
          'e\u0301',
          '\u00e9',
          '\uFEFF',
          '\uFFFD',
          '\u{1D49C}:1',
          '中文',
          '\u0000',
        ];
        for (const [i, key] of keys.entries()) await store.set(key, bytes(String(i)));
        for (const [i, key] of keys.entries())
          expect((await store.get(key)).toString()).toBe(String(i));
        expect(await store.list()).toEqual([...keys].sort());
        expect(new Set(await drain(store.scan('e')))).toEqual(new Set(['e\u0301']));
      });

      it('keeps keys with unusual characters apart', async () => {
        const keys = ['a b', 'ä', '🙂', 'a:b', 'a\nb', '{tag}x', '*', '?', '[', ']', '\\'];
        for (const [i, key] of keys.entries()) await store.set(key, bytes(String(i)));
        for (const [i, key] of keys.entries())
          expect((await store.get(key)).toString()).toBe(String(i));
      });
    });

    describe('copies', () => {
      it('is not affected by mutating the input after set', async () => {
        const input = bytes('abc');
        const pending = store.set('k', input);
        input[0] = 0x7a;
        await pending;
        input[1] = 0x7a;
        expect((await store.get('k')).toString()).toBe('abc');
      });

      it('is not affected by mutating a returned value', async () => {
        await store.set('k', bytes('abc'));
        const first = await store.get('k');
        first[0] = 0x7a;
        expect((await store.get('k')).toString()).toBe('abc');
        const [many] = await store.getMany(['k']);
        many![0] = 0x7a;
        expect((await store.tryGet('k'))!.toString()).toBe('abc');
      });
    });

    describe('TTL', () => {
      it('expires a key after its TTL', async () => {
        await store.set('short', bytes('v'), 50);
        await store.set('long', bytes('v'), 60_000);
        await target.advance(200);
        await rejectsWith(store.get('short'), 'KVS_NOT_FOUND');
        expect(await store.tryGet('short')).toBeUndefined();
        expect(await store.has('short')).toBe(false);
        expect((await store.get('long')).toString()).toBe('v');
      });

      it('never expires with TTL 0 or none', async () => {
        await store.set('zero', bytes('v'), 0);
        await store.set('none', bytes('v'));
        expect(await store.ttl('zero')).toBe(Infinity);
        expect(await store.ttl('none')).toBe(Infinity);
      });

      it('reports the remaining TTL in ms, and undefined for a missing key', async () => {
        await store.set('k', bytes('v'), 60_000);
        const ttl = await store.ttl('k');
        expect(ttl).toBeGreaterThan(50_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
        expect(await store.ttl('missing')).toBeUndefined();
      });

      it('rounds a fractional TTL up instead of dropping it', async () => {
        await store.set('k', bytes('v'), 0.2);
        await target.advance(100);
        expect(await store.tryGet('k')).toBeUndefined();
      });

      it('expire sets a new TTL without touching the value, and 0 removes it', async () => {
        await store.set('k', bytes('v'), 50);
        expect(await store.expire('k', 0)).toBe(true);
        expect(await store.ttl('k')).toBe(Infinity);
        expect(await store.expire('k', 60_000)).toBe(true);
        expect(await store.ttl('k')).toBeGreaterThan(50_000);
        expect(await store.expire('k', 50)).toBe(true);
        expect(await store.expire('missing', 1000)).toBe(false);
        expect(await store.expire('missing', 0)).toBe(false);
        await target.advance(200);
        expect(await store.has('k')).toBe(false);
        expect(await store.expire('k', 1000)).toBe(false);
        await rejectsWith(store.expire('k', -1), 'KVS_INVALID_ARGUMENT');
      });

      it('replaces the TTL on overwrite, and a set without TTL clears it', async () => {
        await store.set('k', bytes('v'), 50);
        await store.set('k', bytes('w'));
        expect(await store.ttl('k')).toBe(Infinity);
        await target.advance(200);
        expect((await store.get('k')).toString()).toBe('w');
        await store.set('k', bytes('x'), 50);
        await target.advance(200);
        expect(await store.tryGet('k')).toBeUndefined();
      });
    });

    describe('invalid arguments', () => {
      const badKeys: unknown[] = ['', 1, undefined, null, {}, Symbol('k')];
      const badValues: unknown[] = ['text', 1, null, undefined, [1, 2], {}, new ArrayBuffer(2)];
      const badTtls: unknown[] = [-1, NaN, Infinity, -Infinity, '100', null, 10n];

      it.each(badKeys.map((k) => [k]))('rejects the key %p', async (key) => {
        await rejectsWith(store.get(key as string), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.set(key as string, bytes('v')), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.delete(key as string), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.getMany([key as string]), 'KVS_INVALID_ARGUMENT');
      });

      it.each(badValues.map((v) => [v]))('rejects the value %p', async (value) => {
        const err = await rejectsWith(store.set('k', value as Uint8Array), 'KVS_INVALID_ARGUMENT');
        expect(err.message).toMatch(/Buffer/);
        await rejectsWith(store.setIfAbsent('k', value as Uint8Array), 'KVS_INVALID_ARGUMENT');
        expect(await store.has('k')).toBe(false);
      });

      it.each(badTtls.map((t) => [t]))('rejects the TTL %p', async (ttl) => {
        const err = await rejectsWith(
          store.set('k', bytes('v'), ttl as number),
          'KVS_INVALID_ARGUMENT',
        );
        expect(err.message).toMatch(/ttlMs/);
        await rejectsWith(store.increment('n', 1, ttl as number), 'KVS_INVALID_ARGUMENT');
        expect(await store.has('k')).toBe(false);
      });

      it('rejects a TTL over MAX_TTL_MS on every write, naming the limit, and accepts one at it', async () => {
        await store.set('e', bytes('v'));
        for (const ttl of [MAX_TTL_MS + 1, MAX_TTL_MS + 0.5, 1e20, 2 ** 63, Number.MAX_VALUE]) {
          const err = await rejectsWith(store.set('k', bytes('v'), ttl), 'KVS_INVALID_ARGUMENT');
          expect(err.message).toContain(`${MAX_TTL_MS} ms (100 years)`);
          await rejectsWith(store.setIfAbsent('k', bytes('v'), ttl), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.increment('n', 1, ttl), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.expire('e', ttl), 'KVS_INVALID_ARGUMENT');
        }
        expect(await store.list()).toEqual(['e']);
        expect(await store.ttl('e')).toBe(Infinity);

        const nearly = MAX_TTL_MS - 60_000;
        await store.set('k', bytes('v'), MAX_TTL_MS);
        expect(await store.ttl('k')).toBeGreaterThan(nearly);
        expect(await store.setIfAbsent('s', bytes('v'), MAX_TTL_MS)).toBe(true);
        expect(await store.ttl('s')).toBeGreaterThan(nearly);
        expect(await store.increment('n', 1, MAX_TTL_MS)).toBe(1);
        expect(await store.ttl('n')).toBeGreaterThan(nearly);
        expect(await store.expire('e', MAX_TTL_MS)).toBe(true);
        expect(await store.ttl('e')).toBeGreaterThan(nearly);
      });

      it('rejects a scan batchSize that is not a whole number from 1 to MAX_SCAN_BATCH_SIZE', async () => {
        await store.set('k', bytes('v'));
        const bad: unknown[] = [
          0,
          -1,
          1.5,
          NaN,
          Infinity,
          MAX_SCAN_BATCH_SIZE + 1,
          1e20,
          '10',
          null,
        ];
        for (const batchSize of bad) {
          const err = await rejectsWith(
            drain(store.scan('', { batchSize: batchSize as number })),
            'KVS_INVALID_ARGUMENT',
          );
          expect(err.message).toContain(
            `batchSize: expected a whole number from 1 to ${MAX_SCAN_BATCH_SIZE}`,
          );
        }
        expect(await drain(store.scan('', { batchSize: MAX_SCAN_BATCH_SIZE }))).toEqual(['k']);
        expect(await drain(store.scan('', {}))).toEqual(['k']);
      });

      const illFormed = ['a\uD800b', '\uDC00', 'x\uD83D', '\uDE42\uD83D'];
      it.each(illFormed.map((k) => [k]))(
        'rejects the key %j, which is not well-formed UTF-16, in every operation',
        async (key) => {
          const err = await rejectsWith(store.set(key, bytes('v')), 'KVS_INVALID_ARGUMENT');
          expect(err.message).toMatch(/lone surrogate/);
          await rejectsWith(store.get(key), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.has(key), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.setIfAbsent(key, bytes('v')), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.increment(key), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.getMany(['ok', key]), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.deleteMany(['ok', key]), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(store.list(key), 'KVS_INVALID_ARGUMENT');
          await rejectsWith(drain(store.scan(key)), 'KVS_INVALID_ARGUMENT');
          expect(await store.list()).toEqual([]);
        },
      );

      it('rejects a key over MAX_KEY_BYTES and accepts one at the limit', async () => {
        const atLimit = 'k'.repeat(MAX_KEY_BYTES);
        await store.set(atLimit, bytes('v'));
        expect((await store.get(atLimit)).toString()).toBe('v');
        const err = await rejectsWith(store.set(atLimit + 'k', bytes('v')), 'KVS_INVALID_ARGUMENT');
        expect(err.message).toMatch(/8192 bytes/);
        // Multi-byte characters count in UTF-8 bytes.
        await rejectsWith(store.get('é'.repeat(MAX_KEY_BYTES / 2 + 1)), 'KVS_INVALID_ARGUMENT');
      });

      it('rejects a value over MAX_VALUE_BYTES before any I/O', async () => {
        const huge = new Uint8Array(new ArrayBuffer(MAX_VALUE_BYTES + 1));
        const err = await rejectsWith(store.set('k', huge), 'KVS_INVALID_ARGUMENT');
        expect(err.message).toMatch(/512 MiB/);
        expect(await store.has('k')).toBe(false);
      });

      it('rejects a non-string list prefix and a non-integer increment', async () => {
        await rejectsWith(store.list(5 as unknown as string), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.increment('n', 1.5), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.increment('n', '1' as unknown as number), 'KVS_INVALID_ARGUMENT');
        await rejectsWith(store.getMany('k' as unknown as string[]), 'KVS_INVALID_ARGUMENT');
      });
    });

    describe('list and scan', () => {
      beforeEach(async () => {
        for (const key of ['user:2', 'user:1', 'user:10', 'users', 'order:1', 'u']) {
          await store.set(key, bytes(key));
        }
      });

      it('lists every key, sorted, for no prefix or an empty one', async () => {
        const all = ['order:1', 'u', 'user:1', 'user:10', 'user:2', 'users'];
        expect(await store.list()).toEqual(all);
        expect(await store.list('')).toEqual(all);
      });

      it('lists the keys under a prefix, sorted ascending', async () => {
        expect(await store.list('user:')).toEqual(['user:1', 'user:10', 'user:2']);
        expect(await store.list('nothing')).toEqual([]);
      });

      it('leaves expired keys out', async () => {
        await store.set('user:3', bytes('v'), 50);
        await target.advance(200);
        expect(await store.list('user:')).toEqual(['user:1', 'user:10', 'user:2']);
      });

      it('treats glob characters in the prefix literally', async () => {
        const globby = ['g*', 'g*x', 'g?', 'g[a]', 'g\\', 'g]', 'ga', 'gxa'];
        for (const key of globby) await store.set(key, bytes('v'));
        expect(await store.list('g*')).toEqual(['g*', 'g*x']);
        expect(await store.list('g?')).toEqual(['g?']);
        expect(await store.list('g[')).toEqual(['g[a]']);
        expect(await store.list('g[a]')).toEqual(['g[a]']);
        expect(await store.list('g\\')).toEqual(['g\\']);
        expect(await store.list('g]')).toEqual(['g]']);
      });

      it('scans the same keys as list, in batches', async () => {
        const seen = new Set<string>();
        for await (const key of store.scan('user:', { batchSize: 1 })) seen.add(key);
        expect([...seen].sort()).toEqual(['user:1', 'user:10', 'user:2']);
      });
    });

    describe('atomic operations', () => {
      it('has', async () => {
        await store.set('k', bytes('v'));
        expect(await store.has('k')).toBe(true);
        expect(await store.has('missing')).toBe(false);
      });

      it('setIfAbsent stores only when missing (an expired key is missing)', async () => {
        expect(await store.setIfAbsent('k', bytes('one'), 50)).toBe(true);
        expect(await store.setIfAbsent('k', bytes('two'))).toBe(false);
        expect((await store.get('k')).toString()).toBe('one');
        await target.advance(200);
        expect(await store.setIfAbsent('k', bytes('three'))).toBe(true);
        expect((await store.get('k')).toString()).toBe('three');
        expect(await store.ttl('k')).toBe(Infinity);
      });

      it('setIfAbsent admits exactly one of many concurrent callers', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.setIfAbsent('lock', bytes(String(i)), 60_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('take returns the value once and removes it', async () => {
        await store.set('state', bytes('s1'));
        expect((await store.take('state'))!.toString()).toBe('s1');
        expect(await store.take('state')).toBeUndefined();
        expect(await store.has('state')).toBe(false);
      });

      it('take hands the value to exactly one of many concurrent callers', async () => {
        await store.set('state', bytes('s1'));
        const results = await Promise.all(Array.from({ length: 50 }, () => store.take('state')));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      });

      it('increment creates a counter with a TTL and keeps that TTL', async () => {
        expect(await store.increment('n', 1, 60_000)).toBe(1);
        expect(await store.increment('n', 5, 1)).toBe(6);
        expect(await store.increment('n', -10)).toBe(-4);
        const ttl = await store.ttl('n');
        expect(ttl).toBeGreaterThan(50_000);
        expect((await store.get('n')).toString()).toBe('-4');
        expect(await store.increment('m')).toBe(1);
        expect(await store.ttl('m')).toBe(Infinity);
      });

      it('increment counts every one of many concurrent calls', async () => {
        await Promise.all(Array.from({ length: 100 }, () => store.increment('hits')));
        expect(await store.increment('hits', 0)).toBe(100);
      });

      it('increment continues an integer set by set()', async () => {
        await store.set('n', bytes('41'));
        expect(await store.increment('n')).toBe(42);
      });

      it('increment rejects KvsValueTypeError for a non-integer value', async () => {
        for (const text of ['abc', '1.5', ' 1', '01', '', '-0']) {
          await store.set('n', bytes(text));
          await rejectsWith(store.increment('n'), 'KVS_VALUE_TYPE');
          expect((await store.get('n')).toString()).toBe(text);
        }
      });

      it('increment refuses to leave the safe integer range', async () => {
        await store.set('n', bytes(String(Number.MAX_SAFE_INTEGER - 1)));
        expect(await store.increment('n')).toBe(Number.MAX_SAFE_INTEGER);
        await rejectsWith(store.increment('n'), 'KVS_VALUE_TYPE');
        expect(await store.increment('n', 0)).toBe(Number.MAX_SAFE_INTEGER);
      });

      it('getMany returns values in order with undefined for misses', async () => {
        await store.set('a', bytes('1'));
        await store.set('c', bytes('3'));
        const values = await store.getMany(['a', 'b', 'c', 'a']);
        expect(values.map((v) => v?.toString())).toEqual(['1', undefined, '3', '1']);
        expect(await store.getMany([])).toEqual([]);
      });

      it('deleteIfEquals deletes only while the value matches', async () => {
        await store.set('lock', bytes('owner-1'));
        expect(await store.deleteIfEquals('lock', bytes('owner-2'))).toBe(false);
        expect(await store.has('lock')).toBe(true);
        expect(await store.deleteIfEquals('lock', bytes('owner-1'))).toBe(true);
        expect(await store.has('lock')).toBe(false);
        expect(await store.deleteIfEquals('lock', bytes('owner-1'))).toBe(false);
      });

      it('deleteMany deletes and counts the keys that existed', async () => {
        await store.set('a', bytes('1'));
        await store.set('b', bytes('2'));
        expect(await store.deleteMany(['a', 'b', 'c', 'a'])).toBe(2);
        expect(await store.list()).toEqual([]);
        expect(await store.deleteMany([])).toBe(0);
      });
    });

    describe('close', () => {
      it('is idempotent, and every operation afterwards rejects KvsClosedError', async () => {
        await store.set('k', bytes('v'));
        await store.close();
        await store.close();
        const operations: Promise<unknown>[] = [
          store.get('k'),
          store.tryGet('k'),
          store.set('k', bytes('v')),
          store.delete('k'),
          store.list(),
          store.has('k'),
          store.setIfAbsent('k', bytes('v')),
          store.take('k'),
          store.increment('n'),
          store.ttl('k'),
          store.expire('k', 1000),
          store.getMany(['k']),
          store.deleteIfEquals('k', bytes('v')),
          store.deleteMany(['k']),
          store.ping(),
        ];
        for (const operation of operations) await rejectsWith(operation, 'KVS_CLOSED');
      });

      it('lets operations already in flight finish', async () => {
        await store.set('k', bytes('v'));
        const pending = store.get('k');
        const closing = store.close();
        expect((await pending).toString()).toBe('v');
        await closing;
      });

      it('answers ping while open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
