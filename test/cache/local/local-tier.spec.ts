/**
 * The local tier's data structure on its own (no store, no Redis): expiry, the bounds by entries
 * and by bytes, second-chance eviction, exact byte accounting, and the fill guard that keeps it
 * coherent (a token taken before an invalidation covering the key cannot fill). A property test
 * compares it with a plain model under random operations.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ENTRY_OVERHEAD,
  INVALIDATION_HISTORY,
  LocalTier,
  type LocalTierOptions,
} from '../../../lib/cache/local/local.tier.js';
import { KvsInvalidArgumentError } from '../../../lib/store/index.js';
import { thrown } from '../../support/thrown.js';

function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A tier on a manual clock; roomy unless told otherwise. */
function tier(options: Partial<LocalTierOptions> = {}) {
  const time = clock();
  const local = new LocalTier({ maxEntries: 100, maxBytes: 1e6, clock: time.now, ...options });
  return { local, time };
}

/** What an entry of `size` bytes under `key` costs. */
const cost = (key: string, size: number): number => size + 2 * key.length + ENTRY_OVERHEAD;
const bytes = (size: number, fill = 1): Buffer => Buffer.alloc(size, fill);

/** Fills `key` with a fresh token; the entry or undefined. */
function put(local: LocalTier, key: string, size = 10, ttl = 1000) {
  return local.fill(key, bytes(size), ttl, local.begin());
}

/** Whether a one-byte fill of `key` with `token` was stored. */
const fills = (local: LocalTier, key: string, token: number): boolean =>
  local.fill(key, bytes(1), 100, token) !== undefined;

const present = (local: LocalTier, keys: string[]): string[] =>
  keys.filter((k) => local.get(k) !== undefined);

describe('LocalTier options', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 5, /local tier options: expected an object/],
    ['null', null, /local tier options: expected an object/],
    ['an unknown key', { maxEntries: 1, maxBytes: 1, maxEntrie: 2 }, /'maxEntrie'.*'maxEntries'/],
    ['maxEntries missing', { maxBytes: 1 }, /maxEntries: expected a whole number >= 1.*undefined/],
    ['maxEntries 0', { maxEntries: 0, maxBytes: 1 }, /maxEntries.*got 0/],
    ['maxEntries 1.5', { maxEntries: 1.5, maxBytes: 1 }, /maxEntries.*got 1.5/],
    ['maxEntries Infinity', { maxEntries: Infinity, maxBytes: 1 }, /maxEntries.*got Infinity/],
    ['maxEntries a string', { maxEntries: '10', maxBytes: 1 }, /maxEntries.*a string/],
    ['maxBytes missing', { maxEntries: 1 }, /maxBytes: expected a finite number.*undefined/],
    ['maxBytes 0', { maxEntries: 1, maxBytes: 0 }, /maxBytes.*got 0/],
    ['maxBytes NaN', { maxEntries: 1, maxBytes: NaN }, /maxBytes.*got NaN/],
    ['maxBytes Infinity', { maxEntries: 1, maxBytes: Infinity }, /maxBytes.*got Infinity/],
    [
      'clock not a function',
      { maxEntries: 1, maxBytes: 1, clock: 5 },
      /clock: expected a function/,
    ],
  ];
  it.each(cases)('rejects %s, naming the option and the fix', (_, options, message) => {
    const err = thrown(() => new LocalTier(options as LocalTierOptions));
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as KvsInvalidArgumentError).code).toBe('KVS_INVALID_ARGUMENT');
    expect(err.message).toMatch(message);
  });

  it('rejects bad fill arguments and tokens it never handed out', () => {
    const { local } = tier();
    const token = local.begin();
    const calls: [() => unknown, RegExp][] = [
      [
        () => local.fill(5 as unknown as string, bytes(1), 10, token),
        /fill key: expected a string/,
      ],
      [() => local.fill('k', 'x' as unknown as Buffer, 10, token), /fill bytes: expected a Buffer/],
      [() => local.fill('k', bytes(1), 10, token + 1), /fill token.*got 1/],
      [() => local.fill('k', bytes(1), 10, -1), /fill token.*got -1/],
      [() => local.fill('k', bytes(1), 10, 0.5), /fill token.*got 0.5/],
      [() => local.setUsable('no' as unknown as boolean), /setUsable.*true or false/],
      [() => local.invalidate(undefined as unknown as string), /expected a string key/],
    ];
    for (const [call, message] of calls) {
      const err = thrown(call);
      expect(err).toBeInstanceOf(KvsInvalidArgumentError);
      expect(err.message).toMatch(message);
    }
    expect(local.size).toBe(0);
  });
});

describe('LocalTier entries', () => {
  it('returns an entry until its expiry, then removes it', () => {
    const { local, time } = tier();
    const filled = put(local, 'k', 10, 100);
    expect(filled).toMatchObject({ expires: 1100, hasValue: false });
    time.advance(99);
    expect(local.get('k')).toBe(filled);
    time.advance(1);
    expect(local.get('k')).toBeUndefined();
    expect([local.size, local.bytes]).toEqual([0, 0]);
  });

  it('keeps the bytes it was given and lets the engine keep a value beside them', () => {
    const { local } = tier();
    const data = bytes(3, 7);
    const entry = local.fill('k', data, 100, local.begin())!;
    entry.value = { decoded: true };
    entry.hasValue = true;
    expect(local.get('k')).toMatchObject({ bytes: data, value: { decoded: true }, hasValue: true });
    expect(local.get('k')!.bytes).toBe(data);
    const replaced = put(local, 'k', 3)!;
    expect([replaced.hasValue, replaced.value]).toEqual([false, undefined]);
  });

  it.each([0, -1, NaN, Infinity, -Infinity])('stores nothing for ttlMs %p', (ttl) => {
    const { local } = tier();
    expect(local.fill('k', bytes(1), ttl, local.begin())).toBeUndefined();
    expect([local.size, local.bytes]).toEqual([0, 0]);
  });

  it('refuses an entry that alone costs more than maxBytes, and takes one that costs exactly that', () => {
    const { local } = tier({ maxBytes: cost('big', 100) });
    put(local, 'a', 1);
    expect(put(local, 'big', 101)).toBeUndefined();
    expect(present(local, ['a', 'big'])).toEqual(['a']);
    expect(put(local, 'big', 100)).toBeDefined();
    expect(present(local, ['a', 'big'])).toEqual(['big']);
    expect(local.bytes).toBe(cost('big', 100));
  });

  it('holds at most maxEntries, evicting in insertion order when nothing was hit', () => {
    const { local } = tier({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) put(local, k);
    expect(local.size).toBe(3);
    expect(present(local, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
  });

  it('holds at most maxBytes, evicting as many entries as the new one needs', () => {
    const { local } = tier({ maxBytes: 3 * cost('a', 50) });
    for (const k of ['a', 'b', 'c']) put(local, k, 50);
    expect(local.bytes).toBe(3 * cost('a', 50));
    const double = 2 * cost('a', 50) - cost('d', 0); // d costs as much as two of the others
    put(local, 'd', double);
    expect(present(local, ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    expect(local.bytes).toBe(cost('c', 50) + cost('d', double));
    expect(local.bytes).toBe(3 * cost('a', 50));
  });

  it('gives a hit entry a second chance: it moves behind the others, unflagged', () => {
    const { local } = tier({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) put(local, k);
    local.get('a');
    // Each step checks only the key that went: a get of a present key would flag it.
    put(local, 'd'); // a moves to the end; b goes
    expect([local.size, local.get('b')]).toEqual([3, undefined]);
    put(local, 'e'); // c goes; the pass cleared a's flag
    expect([local.size, local.get('c')]).toEqual([3, undefined]);
    put(local, 'f'); // so a goes now
    expect([local.size, local.get('a')]).toEqual([3, undefined]);
    expect(present(local, ['d', 'e', 'f'])).toEqual(['d', 'e', 'f']);
  });

  it('drops expired entries it meets while evicting, hit or not', () => {
    const { local, time } = tier({ maxEntries: 2 });
    put(local, 'short', 10, 10);
    put(local, 'long', 10, 1000);
    local.get('short');
    time.advance(20);
    put(local, 'new');
    expect(local.size).toBe(2);
    expect(present(local, ['long', 'new'])).toEqual(['long', 'new']);
  });

  it('keeps bytes exact through replace, invalidate, prefix invalidation, eviction and expiry', () => {
    const { local, time } = tier({ maxEntries: 3 });
    put(local, 'a:1', 10);
    put(local, 'a:1', 30); // replace: the old cost goes
    expect(local.bytes).toBe(cost('a:1', 30));
    put(local, 'a:2', 5);
    put(local, 'b:1', 7, 50);
    expect(local.bytes).toBe(cost('a:1', 30) + cost('a:2', 5) + cost('b:1', 7));
    put(local, 'b:2', 1); // evicts a:1
    expect(local.bytes).toBe(cost('a:2', 5) + cost('b:1', 7) + cost('b:2', 1));
    local.invalidate('a:2');
    local.invalidate('missing');
    expect(local.bytes).toBe(cost('b:1', 7) + cost('b:2', 1));
    time.advance(50);
    expect(local.get('b:1')).toBeUndefined(); // expired: removed
    expect(local.bytes).toBe(cost('b:2', 1));
    put(local, 'b:3', 4);
    local.invalidatePrefix('b:');
    expect([local.size, local.bytes]).toEqual([0, 0]);
    put(local, 'c', 9);
    local.clear();
    expect([local.size, local.bytes]).toEqual([0, 0]);
  });

  it('counts a key by its UTF-16 length', () => {
    const { local } = tier();
    put(local, 'é😀', 0);
    expect(local.bytes).toBe(3 * 2 + ENTRY_OVERHEAD);
  });
});

describe('LocalTier fill guard', () => {
  const cases: [string, (local: LocalTier) => void, Record<string, boolean>][] = [
    ['invalidate(k)', (l) => l.invalidate('k'), { k: false, other: true, kk: true }],
    [
      "invalidatePrefix('user:')",
      (l) => l.invalidatePrefix('user:'),
      { 'user:1': false, 'user:': false, use: true, 'post:1': true },
    ],
    ['clear()', (l) => l.clear(), { a: false, b: false }],
  ];
  it.each(cases)('after %s, refuses the keys it covers for a token from before', (_, act, want) => {
    const { local } = tier();
    const token = local.begin();
    act(local);
    const after = local.begin();
    const keys = Object.keys(want);
    expect(Object.fromEntries(keys.map((k) => [k, fills(local, k, token)]))).toEqual(want);
    // A token taken after the invalidation fills every key.
    expect(keys.filter((k) => !fills(local, k, after))).toEqual([]);
    expect(present(local, keys)).toEqual(keys);
  });

  it('holds and stores nothing while not usable; coming back (a change) refuses tokens from before', () => {
    const { local } = tier();
    put(local, 'a');
    const before = local.begin();
    local.setUsable(false);
    expect(local.usable).toBe(false);
    expect([local.size, local.bytes]).toEqual([0, 0]);
    expect(local.get('a')).toBeUndefined();
    const whileDown = local.begin();
    expect(fills(local, 'a', whileDown)).toBe(false);
    expect(local.size).toBe(0);
    local.setUsable(true);
    expect(local.usable).toBe(true);
    const old = [fills(local, 'a', before), fills(local, 'a', whileDown)];
    expect([...old, fills(local, 'a', local.begin())]).toEqual([false, false, true]);
    // A setUsable that changes nothing clears and invalidates nothing.
    const token = local.begin();
    local.setUsable(true);
    expect([local.size, fills(local, 'b', token), local.size]).toEqual([1, true, 2]);
  });

  it('refuses a token older than the invalidation ring reaches, even for an untouched key', () => {
    const { local } = tier();
    const token = local.begin();
    for (let i = 0; i < INVALIDATION_HISTORY; i++) local.invalidate(`other:${i}`);
    expect(fills(local, 'k', token)).toBe(true); // the ring still reaches it
    const older = local.begin();
    for (let i = 0; i <= INVALIDATION_HISTORY; i++) local.invalidate(`other:${i}`);
    expect(fills(local, 'k', older)).toBe(false);
    expect(fills(local, 'k', local.begin())).toBe(true);
  });

  it('still sees a key invalidation deep in a full ring', () => {
    const { local } = tier();
    const token = local.begin();
    local.invalidate('k');
    for (let i = 1; i < INVALIDATION_HISTORY; i++) local.invalidate(`other:${i}`);
    expect(fills(local, 'k', token)).toBe(false);
    expect(fills(local, 'j', token)).toBe(true);
  });
});

/** The same semantics written plainly: an array in insertion order and the full invalidation log. */
class Model {
  entries: { key: string; size: number; expires: number; used: boolean }[] = [];
  log: { kind: 'key' | 'prefix' | 'all'; text: string }[] = [];
  usable = true;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
    readonly now: () => number,
  ) {}

  get bytes(): number {
    return this.entries.reduce((sum, e) => sum + cost(e.key, e.size), 0);
  }

  get(key: string): number | undefined {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const e = this.entries[i]!;
    if (e.expires <= this.now()) {
      this.entries.splice(i, 1);
      return undefined;
    }
    e.used = true;
    return e.size;
  }

  fill(key: string, size: number, ttl: number, token: number): boolean {
    if (!this.usable || ttl <= 0 || cost(key, size) > this.maxBytes) return false;
    const since = this.log.slice(token);
    if (since.length > INVALIDATION_HISTORY) return false;
    const covers = (i: Model['log'][number]) =>
      i.kind === 'all' || (i.kind === 'key' ? i.text === key : key.startsWith(i.text));
    if (since.some(covers)) return false;
    this.entries = this.entries.filter((e) => e.key !== key);
    const fits = () =>
      this.entries.length < this.maxEntries && this.bytes + cost(key, size) <= this.maxBytes;
    while (!fits()) {
      const head = this.entries.shift()!;
      if (head.used && head.expires > this.now()) this.entries.push({ ...head, used: false });
    }
    this.entries.push({ key, size, expires: this.now() + ttl, used: false });
    return true;
  }

  invalidate(kind: 'key' | 'prefix' | 'all', text: string): void {
    this.log.push({ kind, text });
    this.entries = this.entries.filter((e) =>
      kind === 'all' ? false : kind === 'key' ? e.key !== text : !e.key.startsWith(text),
    );
  }

  setUsable(up: boolean): void {
    if (up === this.usable) return;
    this.usable = up;
    this.invalidate('all', '');
  }
}

type Op =
  | { op: 'get'; key: string }
  | { op: 'begin' }
  | { op: 'fill'; key: string; size: number; ttl: number; token: number }
  | { op: 'invalidate'; key: string }
  | { op: 'prefix'; prefix: string }
  | { op: 'clear' }
  | { op: 'usable'; up: boolean }
  | { op: 'burst'; count: number }
  | { op: 'advance'; ms: number };

const KEYS = ['a:1', 'a:2', 'a:3', 'b:1', 'b:2', 'c', 'cc'];
const key = fc.constantFrom(...KEYS);
const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('begin' as const) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('fill' as const),
      key,
      size: fc.integer({ min: 0, max: 120 }),
      ttl: fc.constantFrom(0, 5, 50, 500, 500),
      // -1: a fresh token; else which saved token, as an index taken modulo how many there are
      token: fc.oneof(
        { weight: 2, arbitrary: fc.constant(-1) },
        { weight: 1, arbitrary: fc.nat() },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('invalidate' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('prefix' as const),
      prefix: fc.constantFrom('a:', 'b', 'c', 'x'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('usable' as const), up: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      count: fc.constantFrom(1, 300, INVALIDATION_HISTORY),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 60 }),
    }),
  },
);

describe('LocalTier against a model', () => {
  it('agrees on every get, fill, size and byte count under random operations', () => {
    const settings = fc.record({
      maxEntries: fc.integer({ min: 1, max: 5 }),
      maxBytes: fc.integer({ min: 80, max: 600 }),
    });
    fc.assert(
      fc.property(settings, fc.array(ops, { maxLength: 60 }), ({ maxEntries, maxBytes }, steps) => {
        const time = clock();
        const local = new LocalTier({ maxEntries, maxBytes, clock: time.now });
        const model = new Model(maxEntries, maxBytes, time.now);
        const tokens: [number, number][] = [[local.begin(), 0]]; // tier token, model log length
        for (const s of steps) {
          switch (s.op) {
            case 'get':
              expect(local.get(s.key)?.bytes.byteLength).toBe(model.get(s.key));
              break;
            case 'begin':
              tokens.push([local.begin(), model.log.length]);
              break;
            case 'fill': {
              const [token, logAt] =
                s.token < 0 ? [local.begin(), model.log.length] : tokens[s.token % tokens.length]!;
              const filled = local.fill(s.key, bytes(s.size), s.ttl, token);
              expect(filled !== undefined).toBe(model.fill(s.key, s.size, s.ttl, logAt));
              break;
            }
            case 'invalidate':
              local.invalidate(s.key);
              model.invalidate('key', s.key);
              break;
            case 'prefix':
              local.invalidatePrefix(s.prefix);
              model.invalidate('prefix', s.prefix);
              break;
            case 'clear':
              local.clear();
              model.invalidate('all', '');
              break;
            case 'usable':
              local.setUsable(s.up);
              model.setUsable(s.up);
              expect(local.usable).toBe(s.up);
              break;
            case 'burst':
              for (let i = 0; i < s.count; i++) {
                local.invalidate('zz');
                model.invalidate('key', 'zz');
              }
              break;
            case 'advance':
              time.advance(s.ms);
              break;
          }
          expect([local.size, local.bytes]).toEqual([model.entries.length, model.bytes]);
          expect(local.size).toBeLessThanOrEqual(maxEntries);
          expect(local.bytes).toBeLessThanOrEqual(maxBytes);
        }
        for (const k of KEYS) expect(local.get(k)?.bytes.byteLength).toBe(model.get(k));
      }),
      { numRuns: 300 },
    );
  });
});
