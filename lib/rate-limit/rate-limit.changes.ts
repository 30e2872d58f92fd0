import { describeValue } from '../shared/describe.js';
import { toMilliseconds } from '../shared/duration.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import type { CounterRequest } from './backends/index.js';
import type { RateLimitDecider } from './rate-limit.decider.js';
import { PendingRefunds, type PendingRefund } from './rate-limit.pending-refunds.js';
import type { ResolvedPolicy } from './rate-limit.policy.js';

/**
 * What `RateLimiter.reset`, `refund` and `block` do, on resolved policies: one atomic store step
 * each (a script on Redis), also applied to the local fallback's counters when it was ever used,
 * then the deny cache entries of the key cleared here and on every instance. A store failure
 * rejects (a `KvsError`); `onStoreError` is for decisions only.
 */
export class RateLimitChanges {
  readonly #pending = new PendingRefunds();

  constructor(private readonly decider: RateLimitDecider) {}

  /** Deletes `key`'s counters under `policies`, and its lockout; voids refunds owed on them. */
  async reset(key: string, policies: readonly ResolvedPolicy[]): Promise<void> {
    const requests = policies.map((p) => this.decider.request(key, p, 0));
    this.#pending.void(requests.map((r) => r.key));
    const keys = [...requests.map((r) => r.key), requests[0]!.blockKey];
    this.decider.fallbackInUse?.backend.reset(keys);
    await this.decider.remote(this.decider.start().reset(keys));
    await this.decider.forget([requests[0]!.blockKey]);
  }

  /** Records the refund the guard owes a counted request once its response is over. */
  owe(requests: readonly CounterRequest[]): PendingRefund {
    return this.#pending.add(requests);
  }

  /**
   * Pays what is left of an owed refund: the requests `keep` selects (by the response's
   * outcome), less those whose counter was reset meanwhile.
   */
  async payOwed(owed: PendingRefund, keep: (request: CounterRequest) => boolean): Promise<void> {
    const left = this.#pending.settle(owed).filter(keep);
    if (left.length > 0) await this.refund(left, 'if-full');
  }

  /**
   * Gives back `cost` (default: each policy's own) under every policy of `key`, atomically.
   * `announce`: `'always'`, or `'if-full'` to clear deny caches only when some counter refused
   * that cost before (the guard's refunds of `count`, which come with most requests).
   */
  async refund(
    requests: readonly CounterRequest[],
    announce: 'always' | 'if-full' = 'always',
  ): Promise<void> {
    const fallback = this.decider.fallbackInUse;
    if (fallback !== undefined) fallback.backend.refund(fallback.scaled(requests));
    const wasFull = await this.decider.remote(this.decider.start().refund(requests));
    if (announce === 'always' || wasFull) {
      await this.decider.forget([...new Set(requests.map((r) => r.blockKey))]);
    }
  }

  /** Locks `key` out for `duration` from now, under every policy (replacing a lockout it has). */
  async block(key: string, duration: unknown): Promise<void> {
    const ms = toMilliseconds(duration);
    if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1) {
      throw new KvsInvalidArgumentError(
        `Invalid lockout duration: expected whole milliseconds >= 1 or a duration such as '15m', got ${describeValue(duration)}. To lift a lockout, use reset(key, policies).`,
      );
    }
    const { blockKey } = this.decider.request(key, LOCKOUT_ONLY, 0);
    this.decider.fallbackInUse?.backend.block(blockKey, ms);
    await this.decider.remote(this.decider.start().block(blockKey, ms));
    await this.decider.forget([blockKey]);
  }
}

/** A policy placeholder for building a key's lockout key. */
const LOCKOUT_ONLY = { suffix: '' } as ResolvedPolicy;
