import { describeValue } from '../shared/describe.js';
import { KvsInvalidArgumentError } from './kvs.errors.js';

/** Longest key accepted, in UTF-8 bytes (8 KiB): long keys cost memory and time on every access. */
export const MAX_KEY_BYTES = 8 * 1024;

/** Largest value accepted, in bytes: 512 MiB, Redis's largest string (proto-max-bulk-len). */
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;

/** Checks a key: a non-empty string of at most {@link MAX_KEY_BYTES} UTF-8 bytes. */
export function assertKey(key: unknown, argument = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${argument}: expected a non-empty string, got ${describeValue(key)}.`,
    );
  }
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so short keys skip the byte count.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new KvsInvalidArgumentError(
      `Invalid ${argument}: ${Buffer.byteLength(key)} bytes is longer than the limit of ` +
        `${MAX_KEY_BYTES} bytes. Hash long identifiers into the key instead.`,
    );
  }
}

/** Checks a list of keys: an array of non-empty strings. */
export function assertKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) {
    throw new KvsInvalidArgumentError(
      `Invalid keys: expected an array of strings, got ${describeValue(keys)}.`,
    );
  }
  for (let i = 0; i < keys.length; i++) assertKey(keys[i], `keys[${i}]`);
}

/** Checks a prefix: a string, possibly empty; `undefined` means ''. */
export function toPrefix(prefix: unknown): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string') {
    throw new KvsInvalidArgumentError(
      `Invalid prefix: expected a string, got ${describeValue(prefix)}.`,
    );
  }
  return prefix;
}

/** Checks a value: bytes (a Buffer or any Uint8Array). */
export function assertValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new KvsInvalidArgumentError(
      `Invalid value: expected bytes (Buffer or Uint8Array), got ${describeValue(value)}. ` +
        'Encode it first, e.g. Buffer.from(text), or use createTypedStore() for JSON and strings.',
    );
  }
  if (value.byteLength > MAX_VALUE_BYTES) {
    throw new KvsInvalidArgumentError(
      `Invalid value: ${value.byteLength} bytes is larger than the limit of ${MAX_VALUE_BYTES} ` +
        'bytes (512 MiB). Split it over several keys.',
    );
  }
}

/**
 * Normalises a TTL in milliseconds: `undefined` or 0 mean "never expires" (0); fractional values
 * round up to the next millisecond. Negative, NaN, infinite or non-number TTLs are rejected.
 */
export function toTtl(ttlMs: unknown): number {
  if (ttlMs === undefined) return 0;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ttlMs: expected a finite number of milliseconds >= 0 (0 = never expires), got ${describeValue(ttlMs)}.`,
    );
  }
  return Math.ceil(ttlMs);
}

/** Checks an increment step: a safe integer. */
export function toStep(by: unknown): number {
  if (by === undefined) return 1;
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
    throw new KvsInvalidArgumentError(
      `Invalid increment: expected a safe integer, got ${describeValue(by)}.`,
    );
  }
  return by;
}
