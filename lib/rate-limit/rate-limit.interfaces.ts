import type { ExecutionContext } from '@nestjs/common';
import type { KvsError } from '../store/index.js';
import type { Duration } from '../shared/duration.js';

/**
 * How a policy counts:
 * - `sliding-window` (default): a sliding window counter. It weighs the previous window's count by
 *   how much of it still overlaps the last `window` ms: `previous * (1 - elapsed / window) + current`.
 * - `fixed-window`: a counter per aligned window that starts again at zero when the window ends.
 * - `token-bucket`: a bucket of `limit` tokens refilled at `limit` per `window`; bursts of up to
 *   `limit` requests, then a steady rate.
 * - `gcra`: the generic cell rate algorithm: one timestamp per key (the theoretical arrival time),
 *   one request every `window / limit` ms with bursts of up to `limit`, no window boundaries,
 *   and an exact retry time. It admits what a token bucket of the same limit and window admits.
 */
export type RateLimitAlgorithm = 'sliding-window' | 'fixed-window' | 'token-bucket' | 'gcra';

/**
 * Which requests a policy counts: `'all'` (default); `'failures'`, e.g. failed logins; or
 * `'successes'`. Every request is counted up front (so a burst cannot slip through while its
 * outcomes are pending) and refunded, atomically, once its outcome says it should not count.
 * On HTTP a response with status >= 400 is a failure (a handler that throws gets one from Nest's
 * exception filter), and so is a response that never finished (the client hung up); anything
 * else is a success.
 */
export type RateLimitCount = 'all' | 'failures' | 'successes';

/**
 * A policy value, fixed or computed per request from the execution context (sync or async), e.g.
 * `limit: (ctx) => (plan(ctx) === 'pro' ? 1000 : 100)`. The guard resolves it once per request and
 * checks the result as it checks a fixed value.
 */
export type RateLimitValue<T> = T | ((context: ExecutionContext) => T | Promise<T>);

/** Which rate-limit response headers to send; `false` sends none (a 429 still gets `Retry-After`). */
export type RateLimitHeaderFormat = 'legacy' | 'draft-6' | 'draft-7' | 'draft-8' | false;

/**
 * What to do when the store fails or does not answer in time: let the request through (`'allow'`),
 * refuse it (`'deny'`, 503), or decide with an in-process limiter running the same policies
 * (`'local'`, each limit divided by the `instances` option) until the store answers again.
 */
export type RateLimitStoreErrorPolicy = 'allow' | 'deny' | 'local';

/** One limit: at most `limit` units (requests, by default) per `window` ms. */
export interface RateLimitPolicy {
  /** Units allowed per window: a whole number >= 1, or a function of the context returning one. */
  limit: RateLimitValue<number>;
  /**
   * The window: whole milliseconds >= 1, or a duration string such as `'1s'`, `'5m'` or `'1h'`.
   * A number under 1000 logs one warning at startup (did you mean seconds?); write it as a string
   * (`'500ms'`) when you mean milliseconds. Or a function of the context returning one.
   */
  window: RateLimitValue<Duration>;
  /** How to count; default `'sliding-window'`. */
  algorithm?: RateLimitAlgorithm;
  /** Units one request spends: a whole number from 0 to `limit`; default 1. Or a function of the context. */
  cost?: RateLimitValue<number>;
  /**
   * Lockout: once this policy refuses a request, its key stays refused for this long (ms or
   * `'15m'`), under every policy of that key, decided in the same atomic step as the refusal.
   * Requests refused during the lockout do not extend it. Default: no lockout.
   */
  block?: Duration;
  /** Which requests count; default `'all'` (see {@link RateLimitCount}). */
  count?: RateLimitCount;
  /**
   * The key the guard counts under for this policy, e.g. the user's id. Default: the client's IP
   * plus the route. A `{tag}` in the key is a Redis Cluster hash tag (see the README).
   * `RateLimiter.consume` ignores it: it counts under the key you pass.
   */
  key?: (context: ExecutionContext) => string | Promise<string>;
  /**
   * Names the policy in headers and in its counter: letters, digits, `.`, `_`, `-`. Default: from
   * the limit, the window and the algorithm, e.g. `100-in-60s`. Policies with the same name and
   * key share one counter, also across routes. Required when `limit` or `window` is a function.
   */
  name?: string;
}

/** The state of one policy after a decision. */
export interface RateLimitPolicyState {
  /** The policy's name. */
  name: string;
  /** The policy's limit. */
  limit: number;
  /** The policy's window in ms. */
  window: number;
  /** Whether this policy alone would admit the request. */
  allowed: boolean;
  /** Units left now, after this request if it was admitted. */
  remaining: number;
  /** Ms until the policy's quota is whole again (`remaining === limit`) if nothing else is spent. */
  resetMs: number;
  /** 0 when this policy admits the request; otherwise ms until it would. */
  retryAfterMs: number;
}

/** The outcome of one decision over one or more policies. */
export interface RateLimitDecision {
  /** True when every policy admitted the request; only then was anything spent. */
  allowed: boolean;
  /** The binding policy's limit (see `policy`). */
  limit: number;
  /** The fewest units left over all policies. */
  remaining: number;
  /** The binding policy's `resetMs`. */
  resetMs: number;
  /** 0 when allowed; otherwise ms until every policy would admit the request (the largest wait). */
  retryAfterMs: number;
  /** The binding policy: when rejected, the one that makes the request wait longest; else the one with the fewest units left. */
  policy: string;
  /** Every policy's state, in the order given. */
  policies: RateLimitPolicyState[];
  /**
   * Set when the store failed or timed out: the decision then follows `onStoreError`, and the counts
   * (`remaining`, `resetMs`, `retryAfterMs`) are not known and read 0, except under `'local'`
   * (see `local`). A failure that is not a nestjs-kvs error arrives as a `KvsUnexpectedError`
   * (code `KVS_UNEXPECTED`) with it as `cause`.
   */
  storeError?: KvsError;
  /**
   * True when the in-process fallback decided (`onStoreError: 'local'` while the store fails):
   * the counts are then the fallback's own.
   */
  local?: boolean;
}

/** Options of one `RateLimiter.consume` or `decide` call. */
export interface RateLimitConsumeOptions {
  /** Units this request spends under every policy, instead of each policy's own `cost`. */
  cost?: number;
  /** Overrides the limiter's `onStoreError` for this call. */
  onStoreError?: RateLimitStoreErrorPolicy;
}

/** One counter of a decision: a policy and the key it counts under. */
export interface RateLimitEntry {
  key: string;
  policy: RateLimitPolicy;
}

/** Settings of `@RateLimit()` for one route or controller; a route's setting beats its controller's. */
export interface RateLimitRouteOptions {
  /** Header format for this route; default: the module's `headers`. */
  headers?: RateLimitHeaderFormat;
  /** Store failure policy for this route; default: the module's `onStoreError`. */
  onStoreError?: RateLimitStoreErrorPolicy;
}
