import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getKvsToken } from '../module/kvs.constants.js';
import { describeValue } from '../shared/describe.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import { RATE_LIMIT_OPTIONS } from './rate-limit.constants.js';
import { RateLimitDecider } from './rate-limit.decider.js';
import type {
  RateLimitConsumeOptions,
  RateLimitDecision,
  RateLimitEntry,
  RateLimitPolicy,
} from './rate-limit.interfaces.js';
import {
  resolveRateLimitOptions,
  toList,
  type RateLimitModuleOptions,
  type ResolvedRateLimitOptions,
} from './rate-limit.options.js';
import { resolvePolicies, resolvePolicy } from './rate-limit.policy.js';
import { observeDecider } from '../telemetry/telemetry.traces.js';

/**
 * Decides whether a unit of work may go ahead, for HTTP routes (through `RateLimitGuard`) and for
 * anything else: GraphQL resolvers, WebSocket messages, queue jobs. Every decision covers all of
 * its policies in one atomic step (one round trip on Redis); a rejected request spends nothing.
 *
 * In Nest, inject it (KvsModule provides it; RateLimitModule sets its options). Elsewhere:
 * `new RateLimiter({ store })`.
 */
@Injectable()
export class RateLimiter implements OnModuleInit {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRateLimitOptions;
  /**
   * The decision core, on resolved policies. `RateLimitGuard` (in this package) decides through
   * it, so a memory decision stays synchronous on its hot path. Not public API.
   * @internal
   */
  readonly decider: RateLimitDecider;
  readonly #moduleRef: ModuleRef | undefined;
  readonly #explicit: boolean;

  constructor(
    @Optional() @Inject(RATE_LIMIT_OPTIONS) options?: RateLimitModuleOptions,
    @Optional() moduleRef?: ModuleRef,
  ) {
    this.options = resolveRateLimitOptions(options);
    this.#explicit = options !== undefined;
    this.#moduleRef = moduleRef;
    this.decider = observeDecider(
      new RateLimitDecider(this.options, (name) => this.#findStore(name)),
    );
  }

  /**
   * With options (RateLimitModule), finds the store at startup, so a missing or unsupported store
   * fails there, not on the first request. Without, the store is found when a guarded route needs
   * it (see RateLimitCoverage), so an application with named stores only still starts.
   */
  onModuleInit(): void {
    if (this.#explicit && this.options.enabled) this.decider.start();
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
    return this.decider.decide(
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
        `Invalid rate-limit entries: expected a non-empty array of { key, policy }, got ${describeValue(entries)}.`,
      );
    }
    return this.decider.decide(
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
    return this.decider.counterKey(key, resolvePolicy(policy));
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
        `Rate limiting needs ${which}, and none is registered. Add ${register} to your application's imports, or set the store option of RateLimitModule.forRoot() to a registered store name or a store instance.`,
        { cause: err },
      );
    }
  }
}
