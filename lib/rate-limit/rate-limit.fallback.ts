import type { KvsError } from '../store/index.js';
import type { CounterRequest } from './backends/index.js';
import { MemoryRateLimitBackend } from './backends/memory.backend.js';
import { MemoryCounters } from './backends/memory.counters.js';

/** While local, the store is tried again (with a peek, which spends nothing) at most this often. */
export const RECHECK_MS = 1000;

/**
 * `onStoreError: 'local'`: while the store fails, decisions are made by an in-process limiter
 * running the same policies, each limit divided by `instances` (at least 1), so that N instances
 * deciding alone admit about what the store would have. Every `RECHECK_MS` one request also asks
 * the store (a peek); the first answer switches back to it, and the local counts are dropped.
 */
export class LocalFallback {
  readonly #local: MemoryRateLimitBackend;
  #down = false;
  #error: KvsError | undefined;
  #lastCheck = 0;
  #checking = false;

  /** `clock` times the local decisions (the `clock` option); `realClock` the rechecks. */
  constructor(
    clock: () => number,
    private readonly realClock: () => number,
    private readonly instances: number,
    maxKeys: number,
  ) {
    this.#local = new MemoryRateLimitBackend(new MemoryCounters(maxKeys), clock);
  }

  /** True from a store failure until the store answers again. */
  get down(): boolean {
    return this.#down;
  }

  /** The store's last failure. */
  get error(): KvsError | undefined {
    return this.#error;
  }

  /** Marks the store as failing with `error` (and starts the recheck clock). */
  failed(error: KvsError): void {
    if (!this.#down) this.#lastCheck = this.realClock();
    this.#down = true;
    this.#error = error;
  }

  /** The in-process counters, for refunds, resets and lockouts made while local. */
  get backend(): MemoryRateLimitBackend {
    return this.#local;
  }

  /** `requests` with their limits divided by `instances`, as the local counters run them. */
  scaled(requests: readonly CounterRequest[]): CounterRequest[] {
    return this.#scaled(requests);
  }

  /**
   * At most one recheck at a time, `RECHECK_MS` after the last: `probe` (a peek on the store,
   * with the timeout) settling means the store is back.
   */
  recheck(probe: () => Promise<unknown>): void {
    const now = this.realClock();
    if (this.#checking || now - this.#lastCheck < RECHECK_MS) return;
    this.#checking = true;
    this.#lastCheck = now;
    probe().then(
      () => {
        this.#checking = false;
        this.#down = false;
        this.#local.counters.clear();
      },
      (err: unknown) => {
        this.#checking = false;
        this.#lastCheck = this.realClock();
        if (typeof (err as KvsError | null)?.code === 'string') this.#error = err as KvsError;
      },
    );
  }

  #scaled(requests: readonly CounterRequest[]): CounterRequest[] {
    if (this.instances === 1) return requests as CounterRequest[];
    return requests.map((r) => ({
      ...r,
      policy: {
        ...r.policy,
        limit: Math.max(1, Math.floor(r.policy.limit / this.instances)),
      },
    }));
  }
}
