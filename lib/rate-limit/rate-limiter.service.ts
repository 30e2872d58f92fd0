import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getKvsToken } from '../module/index.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import {
  backendFor,
  type BackendDecision,
  type CounterRequest,
  type RateLimitBackend,
} from './rate-limit.backend.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.constants.js';
import { degradedDecision, toDecision, withStoreTimeout } from './rate-limit.decision.js';
import { assertSharedTag, counterKey } from './rate-limit.keys.js';
import type {
  RateLimitConsumeOptions,
  RateLimitDecision,
  RateLimitEntry,
  RateLimitPolicy,
  RateLimitStoreErrorPolicy,
} from './rate-limit.interfaces.js';
import { ThrottledLog } from '../shared/throttled-log.js';
import { describeValue as show } from '../shared/describe.js';
import {
  resolveRateLimitOptions,
  toList,
  type RateLimitModuleOptions,
  type ResolvedRateLimitOptions,
} from './rate-limit.options.js';
import {
  assertCost,
  assertUniqueNames,
  resolvePolicies,
  resolvePolicy,
  type ResolvedPolicy,
} from './rate-limit.policy.js';

/**
 * The guard's way in: keys[i] counts under policies[i]. Not part of the public API (the guard is in
 * this package); the static block below gives it access to the limiter's private decision path.
 */
export let decideResolved: (
  limiter: RateLimiter,
  keys: readonly string[],
  policies: readonly ResolvedPolicy[],
  onStoreError: RateLimitStoreErrorPolicy,
) => RateLimitDecision | Promise<RateLimitDecision>;

/**
 * Decides whether a unit of work may go ahead, for HTTP routes (through `RateLimitGuard`) and for
 * anything else: GraphQL resolvers, WebSocket messages, queue jobs. Every decision covers all of
 * its policies in one atomic step (one round trip on Redis); a rejected request spends nothing.
 *
 * In Nest, inject it (RateLimitModule provides it). Elsewhere: `new RateLimiter({ store })`.
 */
@Injectable()
export class RateLimiter implements OnModuleInit {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRateLimitOptions;
  readonly #moduleRef: ModuleRef | undefined;
  readonly #log = new ThrottledLog(new Logger('RateLimiter'));
  #backend: RateLimitBackend | undefined;

  constructor(
    @Optional() @Inject(RATE_LIMIT_OPTIONS) options?: RateLimitModuleOptions,
    @Optional() moduleRef?: ModuleRef,
  ) {
    this.options = resolveRateLimitOptions(options);
    this.#moduleRef = moduleRef;
  }

  static {
    decideResolved = (limiter, keys, policies, onStoreError) =>
      limiter.#decide(keys, policies, onStoreError, undefined);
  }

  /** Finds the store at startup, so a missing or unsupported store fails there, not on the first request. */
  onModuleInit(): void {
    this.#backend ??= this.#createBackend();
  }

  /**
   * Spends `cost` (default: each policy's own) under every policy for `key`, if all of them allow it.
   * `consume('user:42', { limit: 10, window: 1000 })`. Policies' `key` functions are not used here.
   */
  async consume(
    key: string,
    policies: RateLimitPolicy | readonly RateLimitPolicy[],
    options?: RateLimitConsumeOptions,
  ): Promise<RateLimitDecision> {
    const resolved = resolvePolicies(toList(policies));
    return this.#decide(
      resolved.map(() => key),
      resolved,
      options?.onStoreError,
      options?.cost,
    );
  }

  /** Like `consume`, with a key per policy (all keys of one decision must share a hash tag). */
  async decide(
    entries: readonly RateLimitEntry[],
    options?: RateLimitConsumeOptions,
  ): Promise<RateLimitDecision> {
    const list: unknown = entries;
    if (!Array.isArray(list) || list.length === 0) {
      throw new KvsInvalidArgumentError(
        `Invalid rate-limit entries: expected a non-empty array of { key, policy }, got ${show(entries)}.`,
      );
    }
    return this.#decide(
      entries.map((e) => e.key),
      entries.map((e) => resolvePolicy(e.policy)),
      options?.onStoreError,
      options?.cost,
    );
  }

  /**
   * The counter key of `key` under `policy`: `rl:{key}:name:code` (before the store's own
   * `keyPrefix`). The key becomes the Redis Cluster hash tag unless it already holds one
   * (`{user:42}:burst` keeps `user:42`).
   */
  counterKey(key: string, policy: RateLimitPolicy): string {
    return this.#counterKey(key, resolvePolicy(policy));
  }

  #counterKey(key: string, policy: ResolvedPolicy): string {
    return counterKey(this.options.keyPrefix, key, policy);
  }

  /** The decision; synchronous on memory, so the guard's hot path awaits only real I/O. */
  #decide(
    keys: readonly string[],
    policies: readonly ResolvedPolicy[],
    onStoreError: RateLimitStoreErrorPolicy | undefined,
    cost: number | undefined,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    if (cost !== undefined) assertCost(cost, Math.min(...policies.map((p) => p.limit)), 'cost');
    if (policies.length > 1) assertUniqueNames(policies);
    const requests: CounterRequest[] = [];
    for (let i = 0; i < policies.length; i++) {
      const key = keys[i];
      if (typeof key !== 'string' || key.length === 0) {
        throw new KvsInvalidArgumentError(
          `Invalid rate-limit key: expected a non-empty string, got ${show(key)}.`,
        );
      }
      const policy = policies[i]!;
      requests.push({ key: this.#counterKey(key, policy), policy, cost: cost ?? policy.cost });
    }
    if (requests.length > 1) assertSharedTag(requests);
    const backend = (this.#backend ??= this.#createBackend());
    const failed = (err: unknown) =>
      this.#degraded(policies, err, onStoreError ?? this.options.onStoreError);
    if (!backend.remote) {
      try {
        return toDecision(policies, backend.decide(requests) as BackendDecision);
      } catch (err) {
        return failed(err);
      }
    }
    return withStoreTimeout(
      backend.decide(requests) as Promise<BackendDecision>,
      this.options.timeout,
    ).then((outcome) => toDecision(policies, outcome), failed);
  }

  #degraded(
    policies: readonly ResolvedPolicy[],
    err: unknown,
    policy: RateLimitStoreErrorPolicy,
  ): RateLimitDecision {
    const decision = degradedDecision(policies, err, policy);
    this.#log.warn(
      `${policy}:${decision.storeError!.name}`,
      () =>
        `Rate-limit store failed; ${decision.allowed ? 'allowing' : 'denying'} requests (onStoreError: '${policy}'): ${decision.storeError!.message}`,
    );
    return decision;
  }

  #createBackend(): RateLimitBackend {
    const { store, clock, maxKeys } = this.options;
    return backendFor(typeof store === 'object' ? store : this.#findStore(store), {
      clock,
      maxKeys,
    });
  }

  #findStore(name: string | undefined): KvsStore {
    const which =
      name === undefined
        ? "KvsModule's default store"
        : `the KvsModule store named ${JSON.stringify(name)}`;
    if (this.#moduleRef === undefined) {
      throw new KvsInvalidArgumentError(
        `RateLimiter cannot find ${which} outside a Nest application: pass a store instance, e.g. new RateLimiter({ store: createMemoryStore() }).`,
      );
    }
    try {
      return this.#moduleRef.get<KvsStore>(getKvsToken(name), { strict: false });
    } catch (err) {
      const register =
        name === undefined
          ? 'KvsModule.forRoot()'
          : `KvsModule.forRoot({ name: ${JSON.stringify(name)}, ... })`;
      throw new KvsInvalidArgumentError(
        `RateLimitModule needs ${which}, and none is registered. Add ${register} to your application's imports, or pass a store instance as the store option.`,
        { cause: err },
      );
    }
  }
}
