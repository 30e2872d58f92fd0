import { describe, expect, it } from '@jest/globals';
import { describeValue } from '../../lib/shared/describe.js';

describe('describeValue', () => {
  it.each([
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'a string (32 chars)'],
    ['x', 'a string (1 char)'],
    ['', 'an empty string'],
    [-5, '-5'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [true, 'true'],
    [undefined, 'undefined'],
    [null, 'null'],
    [10n, 'a bigint'],
    [Symbol('secret'), 'a symbol'],
    [() => 'secret', 'a function'],
    [[1, 2, 3, 4], 'an array of 4'],
    [[], 'an empty array'],
    [Buffer.from('0123456789'), 'a Buffer of 10 bytes'],
    [new Uint8Array(1), 'a Uint8Array of 1 byte'],
    [new Int32Array(2), 'an Int32Array of 8 bytes'],
    [new ArrayBuffer(2), 'an ArrayBuffer of 2 bytes'],
    [new Map([['password', 'hunter2']]), 'a Map of 1 entry'],
    [new Set(), 'a Set of 0 entries'],
    [{ user: 'u', password: 'hunter2', token: 't' }, 'an object with 3 keys'],
    [{}, 'an empty object'],
    [Object.create(null) as object, 'an empty object'],
    [new Date(0), 'an instance of Date'],
    [new (class Credentials {})(), 'an instance of Credentials'],
  ])('describes %p as %p', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('never prints a string, whatever holds it', () => {
    const secret = 'hunter2-hunter2';
    for (const value of [
      secret,
      [secret],
      { secret },
      new Map([[secret, secret]]),
      new Error(secret),
    ]) {
      expect(describeValue(value)).not.toContain(secret);
    }
  });

  it('survives a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue(proxy)).toBe('an object');
  });
});
