import type { CounterRequest } from './backends/index.js';

/** A refund the guard owes a counted request once its response is over (`count`). */
export interface PendingRefund {
  readonly requests: readonly CounterRequest[];
  /** Counter keys reset since the request was counted: their share is not given back. */
  readonly voided: Set<string>;
}

/**
 * The guard's refunds still to come, by counter key. A reset in this process (a successful login
 * resetting its failures, say) voids them: given back after the reset, a refund would cancel the
 * count of a request made after it. Holds only requests whose response is not over yet.
 */
export class PendingRefunds {
  readonly #byKey = new Map<string, Set<PendingRefund>>();

  /** Records the refund owed for `requests` (one per counted policy). */
  add(requests: readonly CounterRequest[]): PendingRefund {
    const refund: PendingRefund = { requests, voided: new Set() };
    for (const { key } of requests) {
      let owed = this.#byKey.get(key);
      if (owed === undefined) this.#byKey.set(key, (owed = new Set()));
      owed.add(refund);
    }
    return refund;
  }

  /** Ends `refund`: the requests still to give back (those whose counter was not reset since). */
  settle(refund: PendingRefund): CounterRequest[] {
    for (const { key } of refund.requests) {
      const owed = this.#byKey.get(key);
      owed?.delete(refund);
      if (owed?.size === 0) this.#byKey.delete(key);
    }
    return refund.requests.filter((r) => !refund.voided.has(r.key));
  }

  /** A reset of these counters: the refunds owed on them until now are not given back. */
  void(counterKeys: readonly string[]): void {
    for (const key of counterKeys) {
      for (const refund of this.#byKey.get(key) ?? []) refund.voided.add(key);
    }
  }
}
