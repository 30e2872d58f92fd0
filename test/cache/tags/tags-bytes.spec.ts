/**
 * The hit path's tag checks, on their own: the walk over an entry's tag bytes against the
 * versions a call read (any order, non-ASCII tags, unknown tags, cut-short bytes), the parse of
 * a stored version, and the check of a call's tag list (short lists are checked without a Set).
 */
import { describe, expect, it } from '@jest/globals';
import { ListedVersions } from '../../../lib/cache/tags/tags.call.js';
import { checkedTags } from '../../../lib/cache/tags/tags.checks.js';
import { encodeTags, matchTags } from '../../../lib/cache/tags/tags.ext.js';
import { tagKey } from '../../../lib/cache/tags/tags.keys.js';
import { version } from '../../../lib/cache/tags/tags.read.js';

const listed = (tags: string[], versions: number[]) =>
  new ListedVersions(tags, [9, ...versions], 1);

describe('matchTags', () => {
  const ext = encodeTags(['user:1', 'équipe', 'team:7'], [0, 4, 12]);

  it('is true when every recorded version is the one read, in any order', () => {
    expect(matchTags(ext, listed(['user:1', 'équipe', 'team:7'], [0, 4, 12]), 'ns')).toBe(true);
    expect(matchTags(ext, listed(['team:7', 'user:1', 'équipe'], [12, 0, 4]), 'ns')).toBe(true);
    expect(
      matchTags(
        ext,
        new Map([
          ['user:1', 0],
          ['équipe', 4],
          ['team:7', 12],
        ]),
        'ns',
      ),
    ).toBe(true);
  });

  it('is false when one version differs, also for a non-ASCII tag or a same-length one', () => {
    expect(matchTags(ext, listed(['user:1', 'équipe', 'team:7'], [0, 5, 12]), 'ns')).toBe(false);
    expect(matchTags(ext, listed(['user:1', 'équipe', 'team:7'], [0, 4, 13]), 'ns')).toBe(false);
    const nan = encodeTags(['t'], [NaN]); // a version that was not a number is never current
    expect(matchTags(nan, listed(['t'], [NaN]), 'ns')).toBe(false);
  });

  it('returns the tags the versions lack, with their keys and recorded versions', () => {
    const found = matchTags(ext, listed(['user:2', 'équipe'], [0, 4]), 'ns');
    expect(found).toEqual({
      keys: [tagKey('ns', 'user:1'), tagKey('ns', 'team:7')],
      versions: [0, 12],
    });
    expect(matchTags(ext, undefined, 'ns')).toEqual({
      keys: ['user:1', 'équipe', 'team:7'].map((tag) => tagKey('ns', tag)),
      versions: [0, 4, 12],
    });
    // A mismatch anywhere wins over an unknown tag.
    expect(matchTags(ext, listed(['team:7'], [11]), 'ns')).toBe(false);
  });

  it('is false for bytes cut short or of another format', () => {
    const versions = listed(['user:1', 'équipe', 'team:7'], [0, 4, 12]);
    for (let length = 1; length < ext.length; length++) {
      expect(matchTags(ext.subarray(0, length), versions, 'ns')).toBe(false);
    }
    const other = Buffer.from(ext);
    other[1] = 2;
    expect(matchTags(other, versions, 'ns')).toBe(false);
  });
});

describe('version', () => {
  it('reads a positive integer; absent is 0; anything else is NaN, as Number() reads it', () => {
    const of = (text: string) => version(Buffer.from(text, 'latin1'));
    expect(version(undefined)).toBe(0);
    expect([of('1'), of('42'), of('900719925474099')]).toEqual([1, 42, 900719925474099]);
    expect([of('9007199254740991'), of('9007199254740993')]).toEqual([9007199254740991, NaN]);
    expect([of(''), of('0'), of('-3'), of('1.5'), of('abc'), of('12a')]).toEqual(
      Array(6).fill(NaN),
    );
    expect([of(' 7'), of('1e3'), of('0x10')]).toEqual([7, 1000, 16]); // as before: Number()
  });
});

describe('checkedTags', () => {
  it('drops duplicates keeping the first order, short lists and long ones alike', () => {
    expect(checkedTags('w', ['a', 'b', 'a', 'c', 'b'])).toEqual(['a', 'b', 'c']);
    const long = Array.from({ length: 40 }, (_, i) => `t${i % 20}`);
    expect(checkedTags('w', long)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    const list = ['x'];
    expect(checkedTags('w', list)).not.toBe(list); // a copy: the caller may change its array
    expect(checkedTags('w', 'x')).toBeUndefined();
  });

  it('names the index of a bad tag, and counts tags after dropping duplicates', () => {
    expect(() => checkedTags('w', ['ok', 3])).toThrow(/Invalid tag at index 1 of w/);
    const bad = [...Array.from({ length: 30 }, (_, i) => `t${i}`), ''];
    expect(() => checkedTags('w', bad)).toThrow(/Invalid tag at index 30 of w/);
    expect(checkedTags('w', Array(100).fill('same'))).toEqual(['same']);
    const many = Array.from({ length: 65 }, (_, i) => `t${i}`);
    expect(() => checkedTags('w', many)).toThrow(/65 tags, more than the limit of 64/);
    expect(checkedTags('w', many, Infinity)).toHaveLength(65);
  });
});
