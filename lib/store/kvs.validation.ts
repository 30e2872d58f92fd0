import { describeValue } from '../shared/describe.js';
import { KvsInvalidArgumentError } from './kvs.errors.js';

/** Longest key accepted, in UTF-8 bytes (8 KiB): long keys cost memory and time on every access. */
export const MAX_KEY_BYTES = 8 * 1024;

/** Largest value accepted, in bytes: 512 MiB, Redis's largest string (proto-max-bulk-len). */
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;

/**
 * Longest TTL accepted, in ms: 100 years of 365 days. Redis's PX and PEXPIRE take any TTL whose
 * expiry time (now + TTL) fits a 64-bit integer; this is far below that, and exact in a double
 * when the memory backend adds it to its clock. For a key that never expires, use 0.
 */
export const MAX_TTL_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/** Largest `scan` batch size: more keys per SCAN call would block Redis for that long. */
export const MAX_SCAN_BATCH_SIZE = 100_000;

/**
 * Checks a key: a non-empty, well-formed string of at most {@link MAX_KEY_BYTES} UTF-8 bytes.
 */
export function assertKey(key: unknown, argument = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${argument}: expected a non-empty string, got ${describeValue(key)}.`,
    );
  }
  assertWellFormed(key, argument);
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
  for (let i = 0; i < keys.length; i++) {
    const key: unknown = keys[i];
    // The common case without building the argument's name: a short, well-formed string.
    if (isShortKey(key)) continue;
    assertKey(key, `keys[${i}]`);
  }
}

/** True for a key that passes {@link assertKey} without counting its bytes. */
function isShortKey(key: unknown): boolean {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    key.length * 3 <= MAX_KEY_BYTES &&
    (key as WellFormedCheck).isWellFormed()
  );
}

/** Checks a prefix: a well-formed string, possibly empty; `undefined` means ''. */
export function toPrefix(prefix: unknown, argument = 'prefix'): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string') {
    throw new KvsInvalidArgumentError(
      `Invalid ${argument}: expected a string, got ${describeValue(prefix)}.`,
    );
  }
  assertWellFormed(prefix, argument);
  return prefix;
}

/** `String.prototype.isWellFormed` (Node >= 20; TypeScript's lib has it from es2024 on). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * Rejects a string holding a lone surrogate (half of a UTF-16 pair): UTF-8 cannot encode it, so
 * Redis would store U+FFFD in its place and the key would silently change.
 */
function assertWellFormed(text: string, argument: string): void {
  if ((text as WellFormedCheck).isWellFormed()) return;
  const at = text.search(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  throw new KvsInvalidArgumentError(
    `Invalid ${argument}: it holds a lone surrogate (half of a UTF-16 pair) at index ${at}, ` +
      'which UTF-8 cannot encode. Keys and prefixes must be well-formed Unicode text; encode ' +
      'binary identifiers first (hex or base64url).',
  );
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
 * round up to the next millisecond. Negative, NaN, infinite or non-number TTLs are rejected, and
 * so are TTLs over {@link MAX_TTL_MS} (after rounding).
 */
export function toTtl(ttlMs: unknown): number {
  if (ttlMs === undefined) return 0;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ttlMs: expected a finite number of milliseconds >= 0 (0 = never expires), got ${describeValue(ttlMs)}.`,
    );
  }
  const ttl = Math.ceil(ttlMs);
  if (ttl > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      `Invalid ttlMs: ${ttlMs} ms is longer than the limit of ${MAX_TTL_MS} ms (100 years). ` +
        'Use 0 for a key that never expires.',
    );
  }
  return ttl;
}

/**
 * Checks `scan`'s arguments: the prefix as {@link toPrefix} does, and `batchSize` a whole number
 * from 1 to {@link MAX_SCAN_BATCH_SIZE} (default 1000).
 */
export function toScan(prefix: unknown, options: unknown): { prefix: string; batchSize: number } {
  return { prefix: toPrefix(prefix), batchSize: toBatchSize(options) };
}

function toBatchSize(options: unknown): number {
  if (options === undefined) return 1000;
  if (typeof options !== 'object' || options === null) {
    throw new KvsInvalidArgumentError(
      `Invalid scan options: expected an object such as { batchSize: 1000 }, got ${describeValue(options)}.`,
    );
  }
  const { batchSize } = options as { batchSize?: unknown };
  if (batchSize === undefined) return 1000;
  if (
    typeof batchSize !== 'number' ||
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    batchSize > MAX_SCAN_BATCH_SIZE
  ) {
    throw new KvsInvalidArgumentError(
      `Invalid batchSize: expected a whole number from 1 to ${MAX_SCAN_BATCH_SIZE} (keys fetched ` +
        `per round trip; default 1000), got ${describeValue(batchSize)}.`,
    );
  }
  return batchSize;
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
