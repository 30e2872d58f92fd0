import { KvsValueTypeError } from './kvs.errors.js';

/** The decimal integers Redis's INCRBY accepts: no sign on 0, no leading zeros, no spaces. */
const INTEGER = /^(0|-?[1-9][0-9]{0,19})$/;

/** The error both backends raise when a counter would leave the safe-integer range. */
export function counterRangeError(key: string): KvsValueTypeError {
  return new KvsValueTypeError(
    `Cannot increment ${JSON.stringify(key)}: the result would leave the safe integer range ` +
      `(±${Number.MAX_SAFE_INTEGER}).`,
  );
}

/** The error both backends raise when a counter's stored value is not a decimal integer. */
export function notIntegerError(key: string): KvsValueTypeError {
  return new KvsValueTypeError(
    `Cannot increment ${JSON.stringify(key)}: its value is not a decimal integer. ` +
      'Delete the key or use another key for the counter.',
  );
}

/** Adds `step` to the decimal integer in `stored`, as Redis's INCRBY would. */
export function addToInteger(key: string, stored: Buffer, step: number): number {
  const text = stored.toString('latin1');
  if (!INTEGER.test(text)) throw notIntegerError(key);
  const next = Number(text) + step;
  if (!Number.isSafeInteger(next) || !Number.isSafeInteger(Number(text)))
    throw counterRangeError(key);
  return next;
}
