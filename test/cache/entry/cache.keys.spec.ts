import { describe, expect, it } from '@jest/globals';
import {
  canonicalize,
  defaultCacheKey,
  hashArguments,
} from '../../../lib/cache/entry/cache.keys.js';

describe('cache keys', () => {
  it('ignores the order of object keys, Map entries and Set items', () => {
    expect(canonicalize({ b: 1, a: { d: 2, c: 3 } })).toBe(
      canonicalize({ a: { c: 3, d: 2 }, b: 1 }),
    );
    expect(
      canonicalize(
        new Map([
          [1, 'a'],
          [2, 'b'],
        ]),
      ),
    ).toBe(
      canonicalize(
        new Map([
          [2, 'b'],
          [1, 'a'],
        ]),
      ),
    );
    expect(canonicalize(new Set(['x', 'y']))).toBe(canonicalize(new Set(['y', 'x'])));
  });

  it('tells apart values that JSON would confuse', () => {
    const distinct = [
      1,
      '1',
      1n,
      true,
      't',
      null,
      'null',
      undefined,
      [1],
      { 0: 1 },
      new Date(1),
      'D1',
    ];
    expect(new Set(distinct.map((v) => canonicalize(v))).size).toBe(distinct.length);
    class Dto {
      a = 1;
    }
    expect(canonicalize(new Dto())).not.toBe(canonicalize({ a: 1 }));
    expect(canonicalize(Buffer.from('ab'))).not.toBe(canonicalize(new Uint8Array([97, 98])));
  });

  it('leaves out undefined fields, as an omitted optional argument would', () => {
    expect(canonicalize({ a: 1, b: undefined })).toBe(canonicalize({ a: 1 }));
  });

  it('hashes to 27 base64url characters after <Class>.<method>:', () => {
    expect(defaultCacheKey('Users.find', ['1'])).toMatch(/^Users\.find:[\w-]{27}$/);
    expect(hashArguments(['1'])).not.toBe(hashArguments([1]));
  });

  it('rejects arguments it cannot key, naming the fix', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => hashArguments([() => 1])).toThrow(/Give the decorator a key/);
    expect(() => hashArguments([circular])).toThrow(/circular/);
  });
});
