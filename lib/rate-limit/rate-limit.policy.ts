import { Logger } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import { toMilliseconds, warnShortDuration } from '../shared/duration.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import { toInvalid } from '../store/kvs.errors.js';
import type {
  RateLimitAlgorithm,
  RateLimitCount,
  RateLimitPolicy,
} from './rate-limit.interfaces.js';

/** The one-letter code of each algorithm, as the Redis script and the memory backend know it. */
export const ALGORITHM_CODES = {
  'sliding-window': 's',
  'fixed-window': 'f',
  'token-bucket': 'b',
  gcra: 'g',
} as const satisfies Record<RateLimitAlgorithm, string>;

/** An algorithm's code: `s` sliding window, `f` fixed window, `b` token bucket, `g` GCRA. */
export type AlgorithmCode = (typeof ALGORITHM_CODES)[RateLimitAlgorithm];

/** The functions of a policy whose `limit`, `window` or `cost` is computed per request. */
export interface DynamicParts {
  readonly limit?: Extract<RateLimitPolicy['limit'], (...args: never[]) => unknown>;
  readonly window?: Extract<RateLimitPolicy['window'], (...args: never[]) => unknown>;
  readonly cost?: Extract<NonNullable<RateLimitPolicy['cost']>, (...args: never[]) => unknown>;
}

/** A checked policy with its defaults filled in. */
export interface ResolvedPolicy {
  readonly name: string;
  /** The limit; 0 while `dynamic.limit` is to be resolved. */
  readonly limit: number;
  /** The window in ms; 0 while `dynamic.window` is to be resolved. */
  readonly window: number;
  readonly algorithm: RateLimitAlgorithm;
  readonly code: AlgorithmCode;
  readonly cost: number;
  readonly key: RateLimitPolicy['key'];
  /** Lockout in ms after a refusal; 0 for none. */
  readonly block: number;
  readonly count: RateLimitCount;
  /** Set when some value is computed per request (see rate-limit.dynamic.ts). */
  readonly dynamic: DynamicParts | undefined;
  /** `:name:code`, the end of the policy's counter keys. */
  readonly suffix: string;
}

const POLICY_KEYS: OptionNames<RateLimitPolicy> = {
  limit: true,
  window: true,
  algorithm: true,
  cost: true,
  key: true,
  name: true,
  block: true,
  count: true,
};

const COUNTS: readonly unknown[] = ['all', 'failures', 'successes'];

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const EXAMPLE = 'e.g. { limit: 100, window: 60_000 } for 100 requests a minute';
const resolved = new WeakMap<object, ResolvedPolicy>();

/**
 * Checks a policy and fills in its defaults. Throws `KvsInvalidArgumentError` naming the field and
 * the fix. The result is cached per policy object, so policies are read once: don't mutate them.
 */
export function resolvePolicy(policy: RateLimitPolicy): ResolvedPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw invalid(`expected an object, ${EXAMPLE}, got ${describeValue(policy)}`);
  }
  const cached = resolved.get(policy);
  if (cached !== undefined) return cached;
  assertKnownKeys('a rate-limit policy', policy, POLICY_KEYS, toInvalid);
  const { limit, window: given, algorithm = 'sliding-window', cost = 1, key, name } = policy;
  const dynamic: { -readonly [K in keyof DynamicParts]: DynamicParts[K] } = {};
  if (typeof limit === 'function') dynamic.limit = limit;
  else assertLimit(limit);
  let window = 0;
  if (typeof given === 'function') dynamic.window = given;
  else window = checkWindow(given);
  if (!Object.hasOwn(ALGORITHM_CODES, algorithm)) {
    throw invalid(
      `algorithm must be one of ${Object.keys(ALGORITHM_CODES).join(', ')}, got ${describeValue(algorithm)}`,
    );
  }
  if (typeof cost === 'function') dynamic.cost = cost;
  else if (typeof limit === 'function') assertCost(cost, Infinity, 'cost');
  else assertCost(cost, limit, 'cost');
  if (key !== undefined && typeof key !== 'function') {
    throw invalid(`key must be a function (context) => string, got ${describeValue(key)}`);
  }
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) {
    throw invalid(
      `name must be 1-64 letters, digits, '.', '_' or '-' (it appears in headers and Redis keys), got ${describeValue(name)}`,
    );
  }
  if (name === undefined && (dynamic.limit !== undefined || dynamic.window !== undefined)) {
    throw invalid(
      `a policy whose limit or window is a function needs a name, which names its counter (e.g. name: 'per-plan')`,
    );
  }
  const block = policy.block === undefined ? 0 : toMilliseconds(policy.block);
  if (!isWhole(block, 0)) {
    throw invalid(
      `block must be a whole number of milliseconds >= 0 (0: no lockout), or a duration such as '15m', got ${describeValue(policy.block)}`,
    );
  }
  const count = policy.count ?? 'all';
  if (!COUNTS.includes(count)) {
    throw invalid(`count must be 'all', 'failures' or 'successes', got ${describeValue(count)}`);
  }
  const static_ = typeof limit === 'number' && typeof given !== 'function';
  const resolvedName = name ?? defaultName(limit as number, window, algorithm);
  const result: ResolvedPolicy = {
    name: resolvedName,
    limit: typeof limit === 'number' ? limit : 0,
    window,
    algorithm,
    code: ALGORITHM_CODES[algorithm],
    cost: typeof cost === 'number' ? cost : 0,
    key,
    block,
    count,
    dynamic: static_ && dynamic.cost === undefined ? undefined : dynamic,
    suffix: `:${resolvedName}:${ALGORITHM_CODES[algorithm]}`,
  };
  resolved.set(policy, result);
  return result;
}

/** Checks a limit: a whole number >= 1. */
export function assertLimit(limit: unknown, what = 'limit'): asserts limit is number {
  if (!isWhole(limit, 1))
    throw invalid(`${what} must be a whole number >= 1, got ${describeValue(limit)}`);
}

/** Checks a window (ms or a duration string) and returns it in ms. */
export function checkWindow(given: unknown, what = 'window'): number {
  const window = toMilliseconds(given);
  if (!isWhole(window, 1)) {
    throw invalid(
      `${what} must be a whole number of milliseconds >= 1, got ${describeValue(given)}; or a duration such as '1s', '5m' or '1h'`,
    );
  }
  if (typeof given === 'number' && given < 1000) warnShort(given);
  return window;
}

/** Checks one policy or a non-empty list of them. */
export function resolvePolicies(
  policies: RateLimitPolicy | readonly RateLimitPolicy[],
): ResolvedPolicy[] {
  const list: readonly RateLimitPolicy[] = Array.isArray(policies)
    ? (policies as readonly RateLimitPolicy[])
    : [policies as RateLimitPolicy];
  if (list.length === 0) {
    throw invalid(
      'expected at least one policy; to exempt a route from limits use @SkipRateLimit()',
    );
  }
  return list.map(resolvePolicy);
}

/** Checks a cost: a whole number from 0 to the smallest limit (a larger cost could never pass). */
export function assertCost(cost: unknown, limit: number, what: string): asserts cost is number {
  if (!isWhole(cost, 0))
    throw invalid(`${what} must be a whole number >= 0, got ${describeValue(cost)}`);
  if (cost > limit) {
    throw invalid(
      `${what} ${cost} exceeds the limit ${limit}: such a request could never be admitted. Lower the cost or raise the limit`,
    );
  }
}

/** `100-in-60s`, `5-in-1500ms-fixed`, `10-in-1s-bucket`. */
function defaultName(limit: number, window: number, algorithm: RateLimitAlgorithm): string {
  const span = window % 1000 === 0 ? `${window / 1000}s` : `${window}ms`;
  const suffix =
    algorithm === 'fixed-window' ? '-fixed' : algorithm === 'token-bucket' ? '-bucket' : '';
  return `${limit}-in-${span}${suffix}`;
}

/** `window: 60` is 60 ms, which is seldom what was meant: logged once per value. */
function warnShort(window: number): void {
  warnShortDuration('A rate-limit window', window, new Logger('RateLimit'));
}

function isWhole(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function invalid(problem: string): KvsInvalidArgumentError {
  return new KvsInvalidArgumentError(`Invalid rate-limit policy: ${problem}.`);
}

/** Checks that policies decided together have distinct names (each name is its own counter). */
export function assertUniqueNames(policies: readonly ResolvedPolicy[]): void {
  const seen = new Set<string>();
  for (const { name } of policies) {
    if (seen.has(name)) {
      throw invalid(
        `two policies decided together are both named ${JSON.stringify(name)}; give each a distinct name`,
      );
    }
    seen.add(name);
  }
}
