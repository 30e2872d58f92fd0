import { describe, expect, it } from '@jest/globals';
import { durationOption, toMilliseconds, type Duration } from '../../lib/shared/duration.js';

const fail = (message: string) => new RangeError(message);

describe('durations', () => {
  it.each([
    [60_000, 60_000],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['2 m', 120_000],
  ] as const)('reads %j as %d ms', (value, expected) => {
    expect(durationOption('ttl', value, fail)).toBe(expected);
  });

  it.each([
    ['5 minutes', 300_000],
    ['2 hours', 7_200_000],
  ])('accepts the long forms the parser knows from plain JavaScript (%s)', (value, expected) => {
    expect(toMilliseconds(value)).toBe(expected);
  });

  it.each([['five minutes'], ['5 parsecs'], [''], ['-5m'], [0], [-1], [Number.NaN], [null], [{}]])(
    'rejects %j naming the option and the accepted forms, never the string itself',
    (value) => {
      expect(() => durationOption('ttl', value, fail)).toThrow(RangeError);
      expect(() => durationOption('ttl', value, fail)).toThrow(
        /Invalid ttl: expected a duration > 0, as milliseconds \(60000\) or a string such as '30s'/,
      );
      if (typeof value === 'string' && value !== '') {
        expect(() => durationOption('ttl', value, fail)).not.toThrow(value);
      }
    },
  );

  it('takes 0 where the option allows it', () => {
    expect(durationOption('staleTtl', 0, fail, { allowZero: true })).toBe(0);
    expect(durationOption('staleTtl', '0s', fail, { allowZero: true })).toBe(0);
  });

  it('types a unit typo as an error', () => {
    const ok: Duration[] = [1000, '30s', '5m', '1 h'];
    // @ts-expect-error: 'mins' is not a unit of DurationString
    const typo: Duration = '5mins';
    expect(ok).toHaveLength(4);
    expect(typo).toBe('5mins');
  });
});
