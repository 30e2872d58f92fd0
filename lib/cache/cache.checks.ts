import { describeValue } from '../shared/describe.js';
import { toMilliseconds } from '../shared/duration.js';
import { KvsInvalidArgumentError, MAX_TTL_MS } from '../store/index.js';

/**
 * The checks of single option values the cache's options share: each returns the value as the
 * cache uses it (durations in milliseconds; undefined passes through) or throws
 * `KvsInvalidArgumentError` naming `where`, the option and what it needs.
 */

/** A function (undefined passes through). */
export function checkFunction<F>(
  where: string,
  option: string,
  value: F | undefined,
): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  return reject(where, option, 'a function', value);
}

/** Throws saying which option of `where` is wrong and what it needs. */
export function reject(where: string, option: string, expected: string, got: unknown): never {
  throw new KvsInvalidArgumentError(
    `Invalid ${where} option ${option}: expected ${expected}, got ${describeValue(got)}.`,
  );
}

/** Parsed duration strings: call-time options (`wrap`) repeat the same few. */
const parsed = new Map<string, number | undefined>();

/** A duration in ms: a finite number >= `min`, or a string such as '5m' (undefined passes through). */
export function checkMs(
  where: string,
  option: string,
  value: unknown,
  min = 0,
): number | undefined {
  if (value === undefined) return undefined;
  let ms: number | undefined;
  if (typeof value === 'string') {
    ms = parsed.get(value);
    if (ms === undefined && !parsed.has(value)) {
      ms = toMilliseconds(value);
      if (parsed.size < 256) parsed.set(value, ms);
    }
  } else {
    ms = toMilliseconds(value);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < min) {
    return reject(
      where,
      option,
      `a duration >= ${min}, as milliseconds (60000) or a string such as '30s', '5m', '1h' or '1d'`,
      value,
    );
  }
  return ms;
}

/** A duration the store keeps a key for: at most {@link MAX_TTL_MS}. */
export function checkTtl(
  where: string,
  option: string,
  value: unknown,
  min = 0,
): number | undefined {
  const ms = checkMs(where, option, value, min);
  if (ms !== undefined && ms > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option ${option}: ${ms} ms is longer than the store's limit of ${MAX_TTL_MS} ms (100 years). Use 0 for an entry that stays until evicted.`,
    );
  }
  return ms;
}

/** The longest timer Node.js keeps (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A store step's timeout: >= 1 ms, and short enough for a timer. */
export function checkTimeout(where: string, value: unknown): number | undefined {
  const ms = checkMs(where, 'timeout', value, 1);
  if (ms !== undefined && ms > MAX_TIMEOUT_MS) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option timeout: ${ms} ms is longer than a timer can wait (${MAX_TIMEOUT_MS} ms, about 24 days); a store step needs seconds at most, e.g. '1s'.`,
    );
  }
  return ms;
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
