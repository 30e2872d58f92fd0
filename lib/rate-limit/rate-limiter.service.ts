import {
  Inject,
  Injectable,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getKvsToken } from '../module/kvs.constants.js';
import { describeValue } from '../shared/describe.js';
import type { Duration } from '../shared/duration.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import type { CounterRequest } from './backends/index.js';
import { RateLimitChanges } from './rate-limit.changes.js';
import type { PendingRefund } from './rate-limit.pending-refunds.js';
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
import { assertStatic } from './rate-limit.dynamic.js';
import { resolvePolicies, resolvePolicy, type ResolvedPolicy } from './rate-limit.policy.js';
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
export class RateLimiter implements OnModuleInit, OnModuleDestroy {
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
  readonly #changes: RateLimitChanges;

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
    this.#changes = new RateLimitChanges(this.decider);
  }

  /**
   * With options (RateLimitModule), finds the store at startup, so a missing or unsupported store
   * fails there, not on the first request. Without, the store is found when a guarded route needs
   * it (see RateLimitCoverage), so an application with named stores only still starts.
   */
  onModuleInit(): void {
    if (this.#explicit && this.options.enabled) this.decider.start();
  }

  /** Stops listening to the store's channel (the deny cache's invalidations). */
  onModuleDestroy(): void {
    this.decider.close();
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
    return this.#decideOne('consume', key, policies, options);
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
    const resolved = entries.map((e) => resolvePolicy(e.policy));
    assertStatic(resolved, 'decide');
    return this.decider.decide(
      entries.map((e) => e.key),
      resolved,
      options?.onStoreError,
      options?.cost,
    );
  }

  /**
   * What `consume` would answer now (for a request of `cost`, default each policy's own),
   * spending nothing and locking nothing out.
   */
  async peek(
    key: string,
    policies: RateLimitPolicy | readonly RateLimitPolicy[],
    options?: RateLimitConsumeOptions,
  ): Promise<RateLimitDecision> {
    return this.#decideOne('peek', key, policies, options);
  }

  /**
   * Starts `key` afresh under `policies`: deletes its counters and lifts its lockout, atomically,
   * and clears the deny cache of every instance for it. Only the policies' names and algorithms
   * matter, so a policy with per-request values works here as it is.
   */
  async reset(key: string, policies: RateLimitPolicy | readonly RateLimitPolicy[]): Promise<void> {
    await this.#changes.reset(key, resolvePolicies(toList(policies)));
  }

  /**
   * Gives back `cost` (default: each policy's own cost) under every policy for `key`, atomically;
   * a count never goes below zero and a quota never above its limit.
   */
  async refund(
    key: string,
    policies: RateLimitPolicy | readonly RateLimitPolicy[],
    cost?: number,
  ): Promise<void> {
    const resolved = this.#static(policies, 'refund');
    await this.#changes.refund(
      this.decider.requests(
        resolved.map(() => key),
        resolved,
        cost,
      ),
    );
  }

  /**
   * Locks `key` out for `duration` (ms or `'15m'`) from now: every policy counting under it
   * refuses until then (a lockout it had is replaced). `reset` lifts it.
   */
  async block(key: string, duration: Duration): Promise<void> {
    await this.#changes.block(key, duration);
  }

  /**
   * The guard's refund of `count: 'failures' | 'successes'` for a counted request, owed until its
   * response is over; a `reset` of the key meanwhile voids it.
   * @internal
   */
  oweRefund(keys: readonly string[], policies: readonly ResolvedPolicy[]): PendingRefund {
    return this.#changes.owe(this.decider.requests(keys, policies, undefined));
  }

  /**
   * Pays an owed refund for the policies `keep` selects: it clears deny caches only when it could
   * turn a refusal into an admission. Never rejects: a failure is logged.
   * @internal
   */
  async refundOutcome(
    owed: PendingRefund,
    keep: (request: CounterRequest) => boolean,
  ): Promise<void> {
    try {
      await this.#changes.payOwed(owed, keep);
    } catch (err) {
      this.decider.refundFailed(err);
    }
  }

  /**
   * The counter key of `key` under `policy`: `rl:{key}:name:code` (before the store's own
   * `keyPrefix`). The key becomes the Redis Cluster hash tag unless it already holds one
   * (`{user:42}:burst` keeps `user:42`).
   */
  counterKey(key: string, policy: RateLimitPolicy): string {
    return this.decider.counterKey(key, resolvePolicy(policy));
  }

  #decideOne(
    method: 'consume' | 'peek',
    key: string,
    policies: RateLimitPolicy | readonly RateLimitPolicy[],
    options: RateLimitConsumeOptions | undefined,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const resolved = this.#static(policies, method);
    const keys = resolved.map(() => key);
    const mode = method === 'peek' ? 'peek' : 'spend';
    return this.decider.decide(keys, resolved, options?.onStoreError, options?.cost, mode);
  }

  #static(
    policies: RateLimitPolicy | readonly RateLimitPolicy[],
    method: string,
  ): ResolvedPolicy[] {
    const resolved = resolvePolicies(toList(policies));
    assertStatic(resolved, method);
    return resolved;
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
