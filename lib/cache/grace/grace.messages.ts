import { describeValue } from '../../shared/describe.js';

/** Texts of the errors and log lines of grace periods, loader timeouts and ttl functions. */

function reason(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return describeValue(err);
}

export const graceMessages = {
  timerTooLong: (where: string, option: string, ms: number, max: number): string =>
    `Invalid ${where} option ${option}: ${ms} ms is longer than a timer can wait (${max} ms, ` +
    `about 24 days). A load's timeout needs seconds at most, e.g. '2s'.`,

  softNotBeforeHard: (where: string, soft: number, hard: number): string =>
    `Invalid ${where} options: softTimeout (${soft} ms) must be shorter than hardTimeout ` +
    `(${hard} ms), or a call never answers at the soft one. Shorten softTimeout, or drop it.`,

  graceWithoutTtl: (where: string, grace: number): string =>
    `Invalid ${where} options: grace ${grace} needs a ttl > 0 (an entry that never expires ` +
    'needs no grace period). Give the entry a ttl, or drop grace.',

  graceTooLong: (where: string, ttl: number, stale: number, grace: number, max: number): string =>
    `Invalid ${where} options: ttl + staleTtl + grace (${ttl} + ${stale} + ${grace} ms) is ` +
    `longer than the store's limit of ${max} ms (100 years). Shorten them.`,

  hardTimeout: (label: string, key: string, ms: number): string =>
    `${label} did not load ${JSON.stringify(key)} within hardTimeout (${ms} ms), and no graced ` +
    'entry was there to answer with; the load goes on and stores its result when it lands. ' +
    'Raise hardTimeout, or give the entry a grace period.',

  servedGrace: (label: string, err: unknown, backoff: number): string =>
    `The load of ${label} failed (${reason(err)}); its graced entry answers instead, and the ` +
    `loader is called again in ${backoff} ms at the earliest.`,

  timedOutGrace: (label: string, ms: number, backoff: number): string =>
    `The load of ${label} took longer than hardTimeout (${ms} ms); its graced entry answers ` +
    `instead, and the loader is called again in ${backoff} ms at the earliest.`,

  badTtl: (label: string, got: unknown): string =>
    `The ttl function of ${label} returned ${describeValue(got)}; it must return a duration >= 0, ` +
    "as milliseconds (60000) or a string such as '30s' or '5m' (0: until evicted). Nothing was cached.",

  ttlTooLong: (label: string, ttl: number, stale: number, grace: number, max: number): string =>
    `The ttl function of ${label} returned ${ttl} ms: ttl + staleTtl + grace (${ttl} + ${stale} + ` +
    `${grace} ms) is longer than the store's limit of ${max} ms (100 years). Nothing was cached.`,
};
