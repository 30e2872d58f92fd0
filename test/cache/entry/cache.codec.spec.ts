import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { taggedJsonCodec } from '../../../lib/cache/entry/cache.codec.js';
import {
  entryExt,
  freshUntil,
  isEntry,
  seal,
  staleUntil,
  unseal,
} from '../../../lib/cache/entry/cache.envelope.js';

const roundTrip = (value: unknown): unknown =>
  taggedJsonCodec.decode(Buffer.from(taggedJsonCodec.encode(value)));

/** Jest calls two invalid Dates unequal, so the property leaves them out (checked below). */
function hasInvalidDate(value: unknown): boolean {
  if (value instanceof Date) return Number.isNaN(value.getTime());
  if (value instanceof Map)
    return [...value].some(([k, v]) => hasInvalidDate(k) || hasInvalidDate(v));
  if (value instanceof Set || Array.isArray(value)) return [...value].some(hasInvalidDate);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasInvalidDate);
  return false;
}

describe('taggedJsonCodec', () => {
  it('round-trips any mix of JSON, BigInt, Date, Map, Set, typed arrays, undefined and special numbers', () => {
    const value = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: false,
      withSparseArray: false,
      withBoxedValues: false,
      withObjectString: false,
    });
    fc.assert(
      fc.property(value, (v) => {
        fc.pre(!hasInvalidDate(v));
        expect(roundTrip(v)).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an invalid Date', () => {
    const date = roundTrip({ at: new Date(NaN) }) as { at: Date };
    expect(date.at).toBeInstanceOf(Date);
    expect(date.at.getTime()).toBeNaN();
  });

  it('never takes user data for a tag', () => {
    const tricky = { $t: 'D', v: 0, nested: [{ $t: 'u' }, { $t: 'o', v: { $t: 'b' } }] };
    expect(roundTrip(tricky)).toStrictEqual(tricky);
  });

  it('stores class instances like JSON does (toJSON, or their own fields)', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(roundTrip({ price: new Money(250), at: new Point(1, 2) })).toStrictEqual({
      price: '2.5 EUR',
      at: { x: 1, y: 2 },
    });
  });

  it('rejects functions, symbols and circular values with a message naming the fix', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => taggedJsonCodec.encode({ f: () => 1 })).toThrow(/cannot encode a function/);
    expect(() => taggedJsonCodec.encode(Symbol('s'))).toThrow(/cannot encode a symbol/);
    expect(() => taggedJsonCodec.encode(circular)).toThrow(/circular.*your own codec/);
  });

  it('returns new objects on every decode', () => {
    const bytes = Buffer.from(taggedJsonCodec.encode({ list: [1] }));
    expect(taggedJsonCodec.decode(bytes)).not.toBe(taggedJsonCodec.decode(bytes));
  });
});

describe('cache envelope', () => {
  it('keeps null and undefined distinct from each other and from values, with any codec', () => {
    for (const value of [null, undefined, 0, '', { a: 1 }]) {
      const bytes = seal(value, 123, taggedJsonCodec);
      expect(isEntry(bytes)).toBe(true);
      expect(freshUntil(bytes)).toBe(123);
      expect(unseal(bytes, taggedJsonCodec)).toStrictEqual(value);
    }
  });

  it('writes the plain form unless an entry needs more: older readers keep reading it', () => {
    const plain = seal({ a: 1 }, 123, taggedJsonCodec, { staleUntil: 0 });
    expect(plain).toStrictEqual(seal({ a: 1 }, 123, taggedJsonCodec));
    expect(staleUntil(plain)).toBe(0);
    expect(entryExt(plain)).toBeUndefined();
  });

  it('carries a stale-until time and extension bytes beside every kind of value', () => {
    const ext = Buffer.from([1, 2, 3]);
    for (const value of [null, undefined, 0, '', { a: 1 }]) {
      for (const extras of [{ staleUntil: 456 }, { ext }, { staleUntil: 456, ext }]) {
        const bytes = seal(value, 123, taggedJsonCodec, extras);
        expect(isEntry(bytes)).toBe(true);
        expect(freshUntil(bytes)).toBe(123);
        expect(staleUntil(bytes)).toBe(extras.staleUntil ?? 0);
        expect(entryExt(bytes)).toStrictEqual(extras.ext);
        expect(unseal(bytes, taggedJsonCodec)).toStrictEqual(value);
      }
    }
  });

  it('does not mistake foreign bytes for an entry', () => {
    expect(isEntry(Buffer.from('{"a":1}'))).toBe(false);
    expect(isEntry(Buffer.alloc(3))).toBe(false);
    const truncated = seal({ a: 1 }, 1, taggedJsonCodec, { ext: Buffer.alloc(8) }).subarray(0, 25);
    expect(isEntry(truncated)).toBe(false);
  });
});
