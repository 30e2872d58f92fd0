import type { Duration } from '../../shared/duration.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { checkFlag, checkTtl } from '../cache.checks.js';

/**
 * The local tier's options: module-wide on `KvsCacheModule.forRoot({ local })`, and the part a
 * method or a call may override (`@Cacheable({ local })`, `wrap(key, fn, { local })`).
 */

/** `local` of `KvsCacheModule.forRoot()`: `true` for the defaults, or these. */
export interface KvsLocalTierOptions {
  /** The most entries the tier holds per store (least recently used go first). Default 10_000. */
  maxEntries?: number;
  /** The most bytes of encoded entries it holds per store (an estimate with overhead). Default 64 MiB. */
  maxBytes?: number;
  /** How long an entry stays in the tier: ms or `'30s'`. Default (and at most): the entry's remaining time in the store. */
  ttl?: Duration;
  /** Keep the decoded value and return that same object to every local hit: faster; callers must not mutate it. Default false (a fresh copy per hit). */
  shared?: boolean;
  /** Redis client-side caching (CLIENT TRACKING, Redis >= 6): writes from outside the application invalidate the tier too. Default false. */
  tracking?: boolean;
}

/** `local` of a method or call: `false` to bypass the tier, `true` or these to use it. */
export interface KvsLocalOptions {
  /** How long the entry stays in the tier: ms or `'30s'` (at most its remaining time in the store). */
  ttl?: Duration;
  /** Return one shared decoded object to every local hit (callers must not mutate it). */
  shared?: boolean;
}

/** The module's local tier, checked, with its defaults. */
export interface LocalSettings {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttl: number | undefined;
  readonly shared: boolean;
  readonly tracking: boolean;
}

/** A method's or call's `local` as checked: off, or what it overrides. */
export type CheckedLocal = false | { readonly ttl?: number; readonly shared?: boolean };

export const DEFAULT_LOCAL: LocalSettings = {
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  ttl: undefined,
  shared: false,
  tracking: false,
};

const TIER_KEYS: OptionNames<KvsLocalTierOptions> = {
  maxEntries: true,
  maxBytes: true,
  ttl: true,
  shared: true,
  tracking: true,
};
const CALL_KEYS: OptionNames<KvsLocalOptions> = { ttl: true, shared: true };

/** The module's `local` option: undefined (off), or the tier's settings. */
export function resolveLocalSettings(where: string, value: unknown): LocalSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return DEFAULT_LOCAL;
  const o = checkObject(where, value, TIER_KEYS) as KvsLocalTierOptions;
  return {
    maxEntries: checkCount(where, 'local.maxEntries', o.maxEntries) ?? DEFAULT_LOCAL.maxEntries,
    maxBytes: checkCount(where, 'local.maxBytes', o.maxBytes) ?? DEFAULT_LOCAL.maxBytes,
    ttl: checkTtl(where, 'local.ttl', o.ttl, 1),
    shared: checkFlag(where, 'local.shared', o.shared) ?? false,
    tracking: checkFlag(where, 'local.tracking', o.tracking) ?? false,
  };
}

/** A method's or call's `local` option: undefined (the module's), false (off), or overrides. */
export function checkLocalOption(where: string, value: unknown): CheckedLocal | undefined {
  if (value === undefined) return undefined;
  if (value === false) return false;
  if (value === true) return {};
  const o = checkObject(where, value, CALL_KEYS) as KvsLocalOptions;
  const ttl = checkTtl(where, 'local.ttl', o.ttl, 1);
  const shared = checkFlag(where, 'local.shared', o.shared);
  return { ...(ttl === undefined ? {} : { ttl }), ...(shared === undefined ? {} : { shared }) };
}

function checkObject(where: string, value: unknown, known: Readonly<Record<string, true>>): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option local: expected true, false or an options object such as { ttl: '30s' }, got ${describeValue(value)}.`,
    );
  }
  assertKnownKeys(
    `the ${where} local options`,
    value,
    known,
    (m) => new KvsInvalidArgumentError(m),
  );
  return value;
}

function checkCount(where: string, option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option ${option}: expected a whole number >= 1, got ${describeValue(value)}.`,
    );
  }
  return value;
}
