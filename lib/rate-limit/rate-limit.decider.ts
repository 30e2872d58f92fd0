import { Logger } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import { ThrottledLog } from '../shared/throttled-log.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import {
  backendFor,
  type BackendDecision,
  type CounterRequest,
  type RateLimitBackend,
} from './backends/index.js';
import { degradedDecision, toDecision, withStoreTimeout } from './rate-limit.decision.js';
import type { RateLimitDecision, RateLimitStoreErrorPolicy } from './rate-limit.interfaces.js';
import { assertSharedTag, counterKey } from './rate-limit.keys.js';
import type { ResolvedRateLimitOptions } from './rate-limit.options.js';
import { assertCost, assertUniqueNames, type ResolvedPolicy } from './rate-limit.policy.js';

/**
 * The decision core of a `RateLimiter`, on policies already resolved: checks the keys, builds the
 * counter keys, runs the backend (with the timeout when it does I/O) and applies `onStoreError`
 * when the store fails. Synchronous on memory, so the guard's hot path awaits only real I/O.
 *
 * Internal: a `RateLimiter` owns one (`limiter.decider`), used by the limiter's public methods
 * and by `RateLimitGuard`, which has its keys and resolved policies in hand.
 */
export class RateLimitDecider {
  readonly #log = new ThrottledLog(new Logger('RateLimiter'));
  #backend: RateLimitBackend | undefined;

  /** `findStore` turns the `store` option, when it is a name (or omitted), into the store. */
  constructor(
    private readonly options: ResolvedRateLimitOptions,
    private readonly findStore: (name: string | undefined) => KvsStore,
  ) {}

  /** Picks the backend now, so a missing or unsupported store fails at startup. */
  start(): void {
    this.#backend ??= this.#createBackend();
  }

  /** The counter key of `key` under `policy` (see `RateLimiter.counterKey`). */
  counterKey(key: string, policy: ResolvedPolicy): string {
    return counterKey(this.options.keyPrefix, key, policy);
  }

  /**
   * Decides `keys[i]` under `policies[i]`, all in one atomic step, spending `cost` (default: each
   * policy's own). Throws `KvsInvalidArgumentError` for a bad key, cost or set of policies.
   */
  decide(
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
          `Invalid rate-limit key: expected a non-empty string, got ${describeValue(key)}.`,
        );
      }
      const policy = policies[i]!;
      requests.push({ key: this.counterKey(key, policy), policy, cost: cost ?? policy.cost });
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
    return backendFor(typeof store === 'object' ? store : this.findStore(store), {
      clock,
      maxKeys,
    });
  }
}
