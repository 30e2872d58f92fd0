import { Logger } from '@nestjs/common';
import { describeValue } from '../shared/describe.js';
import { ThrottledLog } from '../shared/throttled-log.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import {
  backendFor,
  type BackendDecision,
  type CounterRequest,
  type DecideMode,
  type RateLimitBackend,
} from './backends/index.js';
import { degradedDecision, toDecision, withStoreTimeout } from './rate-limit.decision.js';
import { DenyCache } from './rate-limit.deny-cache.js';
import { LocalFallback } from './rate-limit.fallback.js';
import { rateLimitDecision } from '../telemetry/telemetry.hooks.js';
import type { RateLimitDecision, RateLimitStoreErrorPolicy } from './rate-limit.interfaces.js';
import { assertSharedTag, baseKey, blockKeyOf, counterKey } from './rate-limit.keys.js';
import type { ResolvedRateLimitOptions } from './rate-limit.options.js';
import { assertCost, assertUniqueNames, type ResolvedPolicy } from './rate-limit.policy.js';

/**
 * The time for what this process keeps about the store (the deny cache, the fallback's
 * rechecks): never the `clock` option, which is the memory backend's (Redis decides on its own).
 */
const realClock = (): number => performance.timeOrigin + performance.now();

/**
 * The decision core of a `RateLimiter`, on policies already resolved: checks the keys, builds the
 * counter keys, runs the backend (with the timeout when it does I/O), answers known refusals
 * from the deny cache, and applies `onStoreError` when the store fails. Synchronous on memory,
 * so the guard's hot path awaits only real I/O.
 *
 * Internal: a `RateLimiter` owns one (`limiter.decider`), used by the limiter's public methods
 * and by `RateLimitGuard`, which has its keys and resolved policies in hand.
 */
export class RateLimitDecider {
  readonly #log = new ThrottledLog(new Logger('RateLimiter'));
  #backend: RateLimitBackend | undefined;
  #denied: DenyCache | undefined;
  #fallback: LocalFallback | undefined;

  /** `findStore` turns the `store` option, when it is a name (or omitted), into the store. */
  constructor(
    private readonly options: ResolvedRateLimitOptions,
    private readonly findStore: (name: string | undefined) => KvsStore,
  ) {}

  /** Picks the backend now, so a missing or unsupported store fails at startup. */
  start(): RateLimitBackend {
    return (this.#backend ??= this.#createBackend());
  }

  /** Stops listening to the store's channel. */
  close(): void {
    this.#denied?.close();
  }

  /** The counter key of `key` under `policy` (see `RateLimiter.counterKey`). */
  counterKey(key: string, policy: ResolvedPolicy): string {
    return counterKey(this.options.keyPrefix, key, policy);
  }

  /** The counter and lockout keys of `key` under `policy`, spending `cost`. */
  request(key: string, policy: ResolvedPolicy, cost: number): CounterRequest {
    if (typeof key !== 'string' || key.length === 0) {
      throw new KvsInvalidArgumentError(
        `Invalid rate-limit key: expected a non-empty string, got ${describeValue(key)}.`,
      );
    }
    const base = baseKey(this.options.keyPrefix, key);
    return { key: base + policy.suffix, blockKey: blockKeyOf(base), policy, cost };
  }

  /** The counters of one decision, checked (costs, names, a shared hash tag). */
  requests(
    keys: readonly string[],
    policies: readonly ResolvedPolicy[],
    cost: number | undefined,
  ): CounterRequest[] {
    if (cost !== undefined) assertCost(cost, Math.min(...policies.map((p) => p.limit)), 'cost');
    if (policies.length > 1) assertUniqueNames(policies);
    const requests = policies.map((p, i) => this.request(keys[i]!, p, cost ?? p.cost));
    if (requests.length > 1) assertSharedTag(requests);
    return requests;
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
    mode: DecideMode = 'spend',
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const requests = this.requests(keys, policies, cost);
    const backend = this.start();
    const onError = onStoreError ?? this.options.onStoreError;
    const count = mode === 'spend'; // a peek spends nothing: it is no decision
    if (!backend.remote) {
      try {
        return counted(
          toDecision(policies, backend.decide(requests, mode) as BackendDecision),
          count,
        );
      } catch (err) {
        return counted(this.#degraded(policies, requests, err, onError), count);
      }
    }
    const fallback = onError === 'local' ? this.fallback() : undefined;
    if (fallback?.down === true) {
      fallback.recheck(() => this.remote(backend.decide(requests, 'peek')));
      return counted(this.#local(requests, fallback), count);
    }
    const cache = count ? this.#denyCache() : undefined;
    const signature = cache?.signature(requests);
    if (cache !== undefined && signature !== undefined) {
      const known = cache.lookup(requests, signature);
      if (known !== undefined) return counted(known, count);
    }
    const sentAt = realClock();
    return this.remote(backend.decide(requests, mode)).then(
      (outcome) => {
        const decision = toDecision(policies, outcome);
        if (signature !== undefined) cache!.remember(requests, signature, decision, sentAt);
        return counted(decision, count);
      },
      (err: unknown) => counted(this.#degraded(policies, requests, err, onError), count),
    );
  }

  /** The local fallback (`onStoreError: 'local'`), created on first use. */
  fallback(): LocalFallback {
    const { clock, instances, maxKeys } = this.options;
    return (this.#fallback ??= new LocalFallback(clock, realClock, instances, maxKeys));
  }

  /** The fallback, if one was ever used (a change then applies to its counters too). */
  get fallbackInUse(): LocalFallback | undefined {
    return this.#fallback;
  }

  /** The deny cache, when it is on and the store is remote. */
  #denyCache(): DenyCache | undefined {
    if (!this.options.denyCache) return undefined;
    return (this.#denied ??= new DenyCache(this.#store(), realClock));
  }

  /** Forgets cached refusals of these lockout keys here and, over the channel, everywhere. */
  async forget(blockKeys: readonly string[]): Promise<void> {
    if (this.start().remote) await this.#denyCache()?.clearEverywhere(blockKeys);
  }

  /** Logs (throttled) a refund of `count` that failed: the request stays counted. */
  refundFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#log.warn(
      'refund',
      () =>
        `Rate-limit refund (count: 'failures' / 'successes') failed; the request stays counted: ${message}`,
    );
  }

  /** `pending` (a store call), with the timeout, and store errors as `KvsError`s. */
  remote<T>(pending: T | Promise<T>): Promise<T> {
    return withStoreTimeout(Promise.resolve(pending), this.options.timeout);
  }

  #local(requests: readonly CounterRequest[], fallback: LocalFallback): RateLimitDecision {
    const scaled = fallback.scaled(requests);
    const decision = toDecision(
      scaled.map((r) => r.policy),
      fallback.backend.decide(scaled),
    );
    return { ...decision, storeError: fallback.error, local: true };
  }

  #degraded(
    policies: readonly ResolvedPolicy[],
    requests: readonly CounterRequest[],
    err: unknown,
    policy: RateLimitStoreErrorPolicy,
  ): RateLimitDecision {
    const decision = degradedDecision(policies, err, policy);
    this.#log.warn(
      `${policy}:${decision.storeError!.name}`,
      () =>
        `Rate-limit store failed; ${policy === 'local' ? 'deciding in process' : decision.allowed ? 'allowing' : 'denying'} requests (onStoreError: '${policy}'): ${decision.storeError!.message}`,
    );
    if (policy !== 'local' || !this.start().remote) return decision;
    const fallback = this.fallback();
    fallback.failed(decision.storeError!);
    return this.#local(requests, fallback);
  }

  #store(): KvsStore {
    const { store } = this.options;
    return typeof store === 'object' ? store : this.findStore(store);
  }

  #createBackend(): RateLimitBackend {
    const { clock, maxKeys } = this.options;
    return backendFor(this.#store(), { clock, maxKeys });
  }
}

/**
 * A decision, counted in `kvs.ratelimit.decisions` when `count` (here, where it is made: counting
 * in a wrapper would add a promise step to every decision on Redis).
 */
function counted(decision: RateLimitDecision, count: boolean): RateLimitDecision {
  if (count) rateLimitDecision(decision);
  return decision;
}
