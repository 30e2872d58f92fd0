import type { Duration } from '../../shared/duration.js';
import type { OptionNames } from '../../shared/known-keys.js';
import { KvsInvalidArgumentError, MAX_TTL_MS } from '../../store/index.js';
import { checkMs, checkTtl } from '../cache.checks.js';
import { graceMessages } from './grace.messages.js';

/**
 * The options of grace periods and loader timeouts: module-wide on `KvsCacheModule.forRoot()`,
 * overridden per method (`@Cacheable`) or call (`wrap`); `grace` also on `@CachePut` and `set`,
 * since it decides how long the store keeps the entry they write.
 */

/** How long an entry outlives its stale period, to answer when its loader fails. */
export interface KvsGraceOptions {
  /** Grace period: for this long after `ttl` (+ `staleTtl`), the store keeps the entry, served when a load fails or times out. Default 0 (off). */
  grace?: Duration;
}

/** How long a call waits for its load. */
export interface KvsLoadTimeoutOptions {
  /** After a load failed with a graced entry, serve that entry for this long before calling the loader again. Default 5000. */
  graceBackoff?: Duration;
  /** With a graced entry, wait this long for the load, then answer with the entry while the load goes on. Default 0 (off). */
  softTimeout?: Duration;
  /** Wait at most this long for a load: then answer with a graced entry, or reject with KvsCacheTimeoutError. Default 0 (off). */
  hardTimeout?: Duration;
}

/** Grace and loader timeouts of a plan, in ms; 0 turns each off. */
export interface GracePlan {
  readonly grace: number;
  readonly backoff: number;
  readonly softTimeout: number;
  readonly hardTimeout: number;
}

/** A method's or call's overrides, checked: only what it sets. */
export type CheckedGrace = Partial<GracePlan>;

/** The module's defaults when it sets none. */
export const DEFAULT_GRACE: GracePlan = Object.freeze({
  grace: 0,
  backoff: 5_000,
  softTimeout: 0,
  hardTimeout: 0,
});

export const GRACE_KEYS: OptionNames<KvsGraceOptions> = { grace: true };
export const LOAD_TIMEOUT_KEYS: OptionNames<KvsLoadTimeoutOptions> = {
  graceBackoff: true,
  softTimeout: true,
  hardTimeout: true,
};

/** The longest timer Node.js keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkTimer(where: string, option: string, value: unknown): number | undefined {
  const ms = checkMs(where, option, value);
  if (ms !== undefined && ms > MAX_TIMER_MS) {
    throw new KvsInvalidArgumentError(graceMessages.timerTooLong(where, option, ms, MAX_TIMER_MS));
  }
  return ms;
}

/** Checks the grace options of `options` (any object); undefined when it sets none. */
export function checkGraceOptions(where: string, options: object): CheckedGrace | undefined {
  const o = options as KvsGraceOptions & KvsLoadTimeoutOptions;
  if (
    o.grace === undefined &&
    o.graceBackoff === undefined &&
    o.softTimeout === undefined &&
    o.hardTimeout === undefined
  ) {
    return undefined;
  }
  const checked: { -readonly [K in keyof GracePlan]?: number } = {};
  const grace = checkTtl(where, 'grace', o.grace);
  const backoff = checkTimer(where, 'graceBackoff', o.graceBackoff);
  const softTimeout = checkTimer(where, 'softTimeout', o.softTimeout);
  const hardTimeout = checkTimer(where, 'hardTimeout', o.hardTimeout);
  if (grace !== undefined) checked.grace = grace;
  if (backoff !== undefined) checked.backoff = backoff;
  if (softTimeout !== undefined) checked.softTimeout = softTimeout;
  if (hardTimeout !== undefined) checked.hardTimeout = hardTimeout;
  assertTimeouts(where, checked.softTimeout ?? 0, checked.hardTimeout ?? 0);
  return checked;
}

/** The module's grace settings, checked, with the defaults. */
export function resolveGraceSettings(where: string, options: object): GracePlan {
  return { ...DEFAULT_GRACE, ...checkGraceOptions(where, options) };
}

/**
 * A plan's grace settings: the module's overridden by the method's or call's. A grace period
 * needs a ttl (an entry that never expires has none), and the store keeps an entry for
 * `ttl + staleTtl + grace`, which must fit its limit.
 */
export function planGrace(
  where: string,
  module: GracePlan,
  own: CheckedGrace | undefined,
  ttl: number,
  staleTtl: number,
): GracePlan {
  const plan = own === undefined ? module : { ...module, ...own };
  if (own !== undefined) assertTimeouts(where, plan.softTimeout, plan.hardTimeout);
  if (plan.grace > 0 && ttl === 0) {
    throw new KvsInvalidArgumentError(graceMessages.graceWithoutTtl(where, plan.grace));
  }
  if (ttl + staleTtl + plan.grace > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      graceMessages.graceTooLong(where, ttl, staleTtl, plan.grace, MAX_TTL_MS),
    );
  }
  return plan;
}

/** A soft timeout only means something before the hard one. */
function assertTimeouts(where: string, softTimeout: number, hardTimeout: number): void {
  if (softTimeout > 0 && hardTimeout > 0 && softTimeout >= hardTimeout) {
    throw new KvsInvalidArgumentError(
      graceMessages.softNotBeforeHard(where, softTimeout, hardTimeout),
    );
  }
}
