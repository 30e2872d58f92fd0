/**
 * Bounds store steps in time without a timer per step: steps with the same timeout expire in the
 * order they started, so each timeout value keeps a FIFO queue and a single timer armed for its
 * oldest pending step. A finished step is only marked; the queue drops it lazily.
 */

/** A store step took longer than its timeout. */
export class StepTimeoutError extends Error {
  /** The cause name used in logs. */
  readonly code = 'TIMEOUT';

  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'StepTimeoutError';
  }
}

interface Pending {
  readonly at: number;
  expire: (() => void) | undefined;
}

class Queue {
  #items: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly now: () => number,
  ) {}

  add(expire: () => void): Pending {
    const pending: Pending = { at: this.now() + this.ms, expire };
    this.#items.push(pending);
    if (this.#timer === undefined) this.#arm(pending.at);
    return pending;
  }

  settle(pending: Pending): void {
    pending.expire = undefined;
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.expire === undefined) this.#head++;
    this.#compact();
  }

  // Not unref()'d: a caller awaits the step, so the process must not exit before it settles.
  #arm(at: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - this.now()) + 1);
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.now();
    const items = this.#items;
    while (this.#head < items.length) {
      const pending = items[this.#head]!;
      if (pending.expire !== undefined && pending.at > now) break;
      this.#head++;
      const expire = pending.expire;
      pending.expire = undefined;
      expire?.();
    }
    this.#compact();
    const next = this.#items[this.#head];
    if (next !== undefined) this.#arm(next.at);
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      // Nothing left to expire: no timer may keep the process (or a closed app) waiting.
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Races promises against per-call timeouts, sharing one timer per timeout value. */
export class Deadlines {
  readonly #queues = new Map<number, Queue>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** `promise`, or a rejection with {@link StepTimeoutError} once `ms` have passed. */
  within<T>(promise: Promise<T>, ms: number): Promise<T> {
    let queue = this.#queues.get(ms);
    if (queue === undefined) {
      queue = new Queue(ms, this.now);
      this.#queues.set(ms, queue);
    }
    const q = queue;
    return new Promise<T>((resolve, reject) => {
      const pending = q.add(() => reject(new StepTimeoutError(ms)));
      promise.then(
        (value) => {
          q.settle(pending);
          resolve(value);
        },
        (err: unknown) => {
          q.settle(pending);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}
