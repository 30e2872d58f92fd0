import type { ConfigurableModuleAsyncOptions, ExecutionContext } from '@nestjs/common';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import type {
  RateLimitHeaderFormat,
  RateLimitPolicy,
  RateLimitRouteOptions,
  RateLimitStoreErrorPolicy,
} from './rate-limit.interfaces.js';
import { describeValue } from '../shared/describe.js';
import { toInvalid } from '../store/kvs.errors.js';
import { toMilliseconds, type Duration } from '../shared/duration.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { resolvePolicies } from './rate-limit.policy.js';

/** Options of `RateLimitModule.forRoot` and of a `RateLimiter` built by hand. */
export interface RateLimitModuleOptions {
  /**
   * The store that holds the counters: the name of a KvsModule store, a store instance
   * (`createMemoryStore()` or `createRedisStore()`), or omitted for KvsModule's default store.
   */
  store?: string | KvsStore;
  /** Limits of every route the guard covers that has no `@RateLimit()` of its own. Default: none. */
  policies?: RateLimitPolicy | readonly RateLimitPolicy[];
  /** Response headers; default `'draft-8'` (`RateLimit` + `RateLimit-Policy`). */
  headers?: RateLimitHeaderFormat;
  /**
   * When the store fails or times out: `'allow'` (default) lets requests through, `'deny'` answers
   * 503, `'local'` decides in process (limits divided by `instances`) until the store answers.
   */
  onStoreError?: RateLimitStoreErrorPolicy;
  /**
   * `onStoreError: 'local'`: how many application instances share the store; while it fails, each
   * decides alone with every limit divided by this (at least 1). Default 1.
   */
  instances?: number;
  /**
   * Redis: refuse a key known to be refused until a time in process, without a store round trip
   * (cleared on every instance by `reset`, `refund` and `block`, over the store's channel).
   * Default true.
   */
  denyCache?: boolean;
  /** How long a Redis decision may take before it counts as a store failure: ms or `'1s'`; default 500. */
  timeout?: Duration;
  /** Prefix of every counter key (after the store's own `keyPrefix`); default `'rl:'`. */
  keyPrefix?: string;
  /** IPv6 clients are counted per network of this prefix length (1-128), or per address with `false`; default 64. */
  ipv6Subnet?: number | false;
  /** Requests for which this returns true are not counted (e.g. health checks). */
  skip?: (context: ExecutionContext) => boolean | Promise<boolean>;
  /** Memory backend: most counters kept per store (least recently used go first); default 100,000. */
  maxKeys?: number;
  /** Memory backend: ms now. Inject one in tests to move time without sleeping. */
  clock?: () => number;
  /**
   * `false` turns rate limiting off: every `RateLimitGuard` lets every request through uncounted,
   * and no store is needed at startup (`RateLimiter` methods you call still count). Default true.
   */
  enabled?: boolean;
}

/** Argument of `RateLimitModule.forRoot`. */
export interface RateLimitModuleRootOptions extends RateLimitModuleOptions {
  /**
   * Always true: the settings apply to the whole application (to the `RateLimiter` and
   * `RateLimitGuard` KvsModule provides). `false` is an error; build a `RateLimiter` by hand for
   * limits of your own.
   */
  isGlobal?: boolean;
}

/** Argument of `RateLimitModule.forRootAsync`: `imports`, then `useFactory` + `inject`, `useClass` or `useExisting`. */
export type RateLimitModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  RateLimitModuleOptions,
  'createRateLimitOptions'
> & { isGlobal?: boolean };

/** A class that provides the options, for `forRootAsync({ useClass })` or `{ useExisting }`. */
export interface RateLimitOptionsFactory {
  /** The rate-limit options. */
  createRateLimitOptions(): Promise<RateLimitModuleOptions> | RateLimitModuleOptions;
}

/** Options with their defaults filled in. */
export interface ResolvedRateLimitOptions {
  store: string | KvsStore | undefined;
  policies: readonly RateLimitPolicy[] | undefined;
  headers: RateLimitHeaderFormat;
  onStoreError: RateLimitStoreErrorPolicy;
  instances: number;
  denyCache: boolean;
  timeout: number;
  keyPrefix: string;
  ipv6Subnet: number | false;
  skip: RateLimitModuleOptions['skip'];
  maxKeys: number;
  clock: () => number;
  enabled: boolean;
}

const MODULE_KEYS: OptionNames<RateLimitModuleRootOptions> = {
  store: true,
  policies: true,
  headers: true,
  onStoreError: true,
  instances: true,
  denyCache: true,
  timeout: true,
  keyPrefix: true,
  ipv6Subnet: true,
  skip: true,
  maxKeys: true,
  clock: true,
  enabled: true,
  isGlobal: true,
};

const ROUTE_KEYS: OptionNames<RateLimitRouteOptions> = { headers: true, onStoreError: true };

const HEADERS: readonly unknown[] = ['legacy', 'draft-6', 'draft-7', 'draft-8', false];
const ON_STORE_ERROR: readonly unknown[] = ['allow', 'deny', 'local'];

/** Checks the options and fills in defaults; throws `KvsInvalidArgumentError` naming the fix. */
export function resolveRateLimitOptions(options: unknown): ResolvedRateLimitOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(
      `expected an object such as { policies: { limit: 100, window: 60_000 } }, got ${describeValue(options)}`,
    );
  }
  assertKnownKeys('the RateLimitModule options', options, MODULE_KEYS, (m) => toInvalid(m));
  const o = options as RateLimitModuleOptions;
  const store = o.store;
  if (
    store !== undefined &&
    (typeof store === 'string' ? store.length === 0 : typeof store !== 'object' || store === null)
  ) {
    throw invalid(
      `store must be a KvsModule store name or a store instance, got ${describeValue(store)}`,
    );
  }
  const policies = o.policies === undefined ? undefined : toList(o.policies);
  if (policies !== undefined && policies.length > 0) resolvePolicies(policies);
  assertRouteOptions(o, 'RateLimitModule');
  const timeout = toMilliseconds(o.timeout ?? 500);
  if (timeout === undefined || !Number.isFinite(timeout) || timeout <= 0) {
    throw invalid(
      `timeout must be a number of milliseconds > 0, got ${describeValue(o.timeout)}; or a duration such as '500ms' or '1s'`,
    );
  }
  const keyPrefix = o.keyPrefix ?? 'rl:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw invalid(
      `keyPrefix must be a string without '{' or '}' (they would form a Redis Cluster hash tag), got ${describeValue(keyPrefix)}`,
    );
  }
  const ipv6Subnet = o.ipv6Subnet ?? 64;
  if (
    ipv6Subnet !== false &&
    !(Number.isInteger(ipv6Subnet) && ipv6Subnet >= 1 && ipv6Subnet <= 128)
  ) {
    throw invalid(
      `ipv6Subnet must be a prefix length from 1 to 128, or false, got ${describeValue(ipv6Subnet)}`,
    );
  }
  if (o.skip !== undefined && typeof o.skip !== 'function') {
    throw invalid(`skip must be a function (context) => boolean, got ${describeValue(o.skip)}`);
  }
  const maxKeys = o.maxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw invalid(`maxKeys must be a whole number >= 1, got ${describeValue(maxKeys)}`);
  }
  if (o.clock !== undefined && typeof o.clock !== 'function') {
    throw invalid(`clock must be a function returning ms, got ${describeValue(o.clock)}`);
  }
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') {
    throw invalid(`enabled must be true or false, got ${describeValue(o.enabled)}`);
  }
  if (o.denyCache !== undefined && typeof o.denyCache !== 'boolean') {
    throw invalid(`denyCache must be true or false, got ${describeValue(o.denyCache)}`);
  }
  const instances = o.instances ?? 1;
  if (!Number.isSafeInteger(instances) || instances < 1) {
    throw invalid(
      `instances must be a whole number >= 1 (the app instances sharing the store), got ${describeValue(instances)}`,
    );
  }
  return {
    store,
    policies: policies !== undefined && policies.length > 0 ? policies : undefined,
    headers: o.headers ?? 'draft-8',
    onStoreError: o.onStoreError ?? 'allow',
    instances,
    denyCache: o.denyCache ?? true,
    timeout,
    keyPrefix,
    ipv6Subnet,
    skip: o.skip,
    maxKeys,
    clock: o.clock ?? (() => performance.timeOrigin + performance.now()),
    enabled: o.enabled ?? true,
  };
}

/** Checks `headers` and `onStoreError` of module or route options. */
export function assertRouteOptions(options: RateLimitRouteOptions, where: string): void {
  if (where !== 'RateLimitModule') {
    assertKnownKeys(`the ${where} options`, options, ROUTE_KEYS, toInvalid);
  }
  if (options.headers !== undefined && !HEADERS.includes(options.headers)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option headers: expected 'legacy', 'draft-6', 'draft-7', 'draft-8' or false, got ${describeValue(options.headers)}.`,
    );
  }
  if (options.onStoreError !== undefined && !ON_STORE_ERROR.includes(options.onStoreError)) {
    throw new KvsInvalidArgumentError(
      `Invalid ${where} option onStoreError: expected 'allow', 'deny' or 'local', got ${describeValue(options.onStoreError)}.`,
    );
  }
}

/** One policy or a list of them, as a list. */
export function toList(
  policies: RateLimitPolicy | readonly RateLimitPolicy[],
): readonly RateLimitPolicy[] {
  return Array.isArray(policies)
    ? (policies as readonly RateLimitPolicy[])
    : [policies as RateLimitPolicy];
}

function invalid(problem: string): KvsInvalidArgumentError {
  return new KvsInvalidArgumentError(`Invalid RateLimitModule options: ${problem}.`);
}
