import { describeValue as describe } from '../shared/describe.js';
import { KvsInvalidArgumentError } from '../store/index.js';

/** Throws `KvsInvalidArgumentError` saying which option of `where` is wrong and what it needs. */
export function reject(where: string, option: string, expected: string, got: unknown): never {
  throw new KvsInvalidArgumentError(
    `Invalid ${where} option ${option}: expected ${expected}, got ${describe(got)}.`,
  );
}

/** A duration in ms: a finite number >= `min` (undefined passes through). */
export function checkMs(
  where: string,
  option: string,
  value: unknown,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    const floor = min === 0 ? '>= 0' : `>= ${min}`;
    return reject(where, option, `a finite number of milliseconds ${floor}`, value);
  }
  return value;
}

/** A non-empty string (undefined passes through). */
export function checkName(where: string, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    return reject(where, option, 'a non-empty string', value);
  }
  return value;
}

/** A boolean (undefined passes through). */
export function checkFlag(where: string, option: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return reject(where, option, 'true or false', value);
}

/** A function (undefined passes through). */
export function checkFunction<F>(
  where: string,
  option: string,
  value: F | undefined,
): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  return reject(where, option, 'a function', value);
}

/** A key: a non-empty string, or a function returning one (undefined passes through). */
export function checkKeyOption<F>(
  where: string,
  option: string,
  value: string | F | undefined,
): string | F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  if (typeof value === 'string' && value.length > 0) return value;
  return reject(where, option, 'a non-empty string or a function of the arguments', value);
}
