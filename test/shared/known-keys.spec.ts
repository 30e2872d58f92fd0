import { describe, expect, it } from '@jest/globals';
import { assertKnownKeys, closest } from '../../lib/shared/known-keys.js';

const names = ['keyPrefix', 'poolSize', 'connectTimeout', 'commandTimeout', 'url'];
const fail = (message: string) => new RangeError(message);

describe('closest', () => {
  it.each([
    ['keyprefix', 'keyPrefix'], // case only
    ['keyPrefx', 'keyPrefix'], // one deletion
    ['poolSzie', 'poolSize'], // a transposition
    ['comandTimeout', 'commandTimeout'],
    ['uri', 'url'],
  ])('suggests %s -> %s', (typo, expected) => {
    expect(closest(typo, names)).toBe(expected);
  });

  it('suggests nothing for a name that is far from every known one', () => {
    expect(closest('maxEntries', names)).toBeUndefined();
    expect(closest('x', names)).toBeUndefined();
  });
});

describe('assertKnownKeys', () => {
  const known = { keyPrefix: true, url: true } as const;

  it('passes known keys, and throws the caller error for the first unknown one', () => {
    expect(() => assertKnownKeys('the options', { url: 'u' }, known, fail)).not.toThrow();
    expect(() => assertKnownKeys('the options', { keyprefix: 'a' }, known, fail)).toThrow(
      new RangeError(
        "Unknown option 'keyprefix' in the options. Did you mean 'keyPrefix'? Known: keyPrefix, url.",
      ),
    );
  });

  it("uses the caller's hint instead of a suggestion, and never prints a long key", () => {
    expect(() =>
      assertKnownKeys('the options', { maxEntries: 1 }, known, fail, () => 'Use the other one.'),
    ).toThrow("Unknown option 'maxEntries' in the options. Use the other one.");
    const secretish = 'x'.repeat(64);
    expect(() => assertKnownKeys('the options', { [secretish]: 1 }, known, fail)).toThrow(
      /Unknown option 'a string \(64 chars\)'/,
    );
  });
});
