/**
 * The deadlines of one timeout value (as the Redis store uses them), on Jest's fake clock: each call expires `timeoutMs` after its own
 * start, an answered call never expires, and one timer serves every call in flight.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DeadlineQueue, ended } from '../../lib/shared/deadlines.js';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('DeadlineQueue', () => {
  it('expires each call timeoutMs after its own start, in the order they started', () => {
    const deadlines = new DeadlineQueue(2000, { unref: true });
    const expired: string[] = [];
    const at = (name: string) => () => expired.push(`${name}@${Date.now() - start}`);
    const start = Date.now();
    for (const [name, t] of [
      ['a', 0],
      ['b', 500],
      ['c', 1500],
      ['d', 2500],
      ['e', 3500],
    ] as const) {
      jest.advanceTimersByTime(t - (Date.now() - start));
      deadlines.start(at(name));
    }
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual(['a@2000', 'b@2500', 'c@3500', 'd@4500', 'e@5500']);
  });

  it('never expires a call that ended, and says whether a call ended in time', () => {
    const deadlines = new DeadlineQueue(100, { unref: true });
    const expire = jest.fn();
    const answered = deadlines.start(expire);
    const late = deadlines.start(expire);
    expect(deadlines.end(answered)).toBe(true);
    expect(ended(answered)).toBe(true);
    expect(ended(late)).toBe(false);
    jest.advanceTimersByTime(100);
    expect(expire).toHaveBeenCalledTimes(1);
    expect(ended(late)).toBe(true);
    expect(deadlines.end(late)).toBe(false);
    expect(deadlines.end(answered)).toBe(false);
  });

  it('keeps one timer for any number of calls, and none once they are over', () => {
    const deadlines = new DeadlineQueue(100, { unref: true });
    const expire = jest.fn();
    const calls = Array.from({ length: 1000 }, () => deadlines.start(expire));
    expect(jest.getTimerCount()).toBe(1);
    calls.slice(0, 500).forEach((call) => deadlines.end(call));
    jest.advanceTimersByTime(50);
    const later = deadlines.start(expire);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(50);
    expect(expire).toHaveBeenCalledTimes(500);
    expect(jest.getTimerCount()).toBe(1); // armed for `later`
    deadlines.end(later);
    jest.advanceTimersByTime(50);
    expect(expire).toHaveBeenCalledTimes(500);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('starts a call from inside an expiry without losing it', () => {
    const deadlines = new DeadlineQueue(100, { unref: true });
    const expired: number[] = [];
    deadlines.start(() => {
      expired.push(Date.now());
      deadlines.start(() => expired.push(Date.now()));
    });
    const start = Date.now();
    jest.advanceTimersByTime(1000);
    expect(expired.map((t) => t - start)).toEqual([100, 200]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
