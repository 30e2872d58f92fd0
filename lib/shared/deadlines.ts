import { toError } from './errors.js';

/**
 * Bounds calls in time without a timer per call. Calls with the same timeout expire in the order
 * they started, so each timeout value keeps a FIFO list and one timer armed for its oldest call.
 * Starting or ending a call costs a few field writes; an ended call is only marked, and the list
 * unlinks it lazily.
 */

/** A call with a deadline: it ends once, either answered or expired. */
export interface Deadline {
  /** When the call expires, on the queue's clock. */
  readonly at: number;
  /** Runs once if the call expires first; cleared when it ends. */
  expire: (() => void) | undefined;
  next: Deadline | undefined;
}

/** True once `deadline` was answered or expired. */
export function ended(deadline: Deadline): boolean {
  return deadline.expire === undefined;
}

/** Settings of a {@link DeadlineQueue}. */
export interface DeadlineQueueOptions {
  /** Milliseconds now. Default `performance.now()`. */
  now?: () => number;
  /**
   * Unref the timer, so it never keeps a process alive (right where a socket of the call does);
   * it then also stays armed until it fires instead of being cleared when the last call ends.
   * Default false: the timer is cleared as soon as no call is pending.
   */
  unref?: boolean;
}

/** The deadlines of the calls of one timeout value, `ms` after each call, swept by one timer. */
export class DeadlineQueue {
  readonly #now: () => number;
  readonly #unref: boolean;
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly ms: number,
    options: DeadlineQueueOptions = {},
  ) {
    this.#now = options.now ?? (() => performance.now());
    this.#unref = options.unref ?? false;
  }

  /** Starts a call; `expire` runs if it has not ended `ms` from now. */
  start(expire: () => void): Deadline {
    const deadline: Deadline = { at: this.#now() + this.ms, expire, next: undefined };
    if (this.#tail === undefined) this.#head = deadline;
    else this.#tail.next = deadline;
    this.#tail = deadline;
    if (this.#timer === undefined) this.#arm(this.ms);
    return deadline;
  }

  /** Ends a call. True if it was still running, false if it had expired (or ended) already. */
  end(deadline: Deadline): boolean {
    if (deadline.expire === undefined) return false;
    deadline.expire = undefined;
    let head = this.#head;
    while (head !== undefined && head.expire === undefined) head = head.next;
    this.#head = head;
    if (head === undefined) {
      this.#tail = undefined;
      if (!this.#unref && this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    }
    return true;
  }

  /** Expires every call past its deadline, then waits for the next deadline, if any. */
  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = this.#now();
    let deadline = this.#head;
    while (deadline !== undefined && (deadline.expire === undefined || deadline.at <= now)) {
      // Unlinked first: `expire` may start a call.
      this.#head = deadline.next;
      if (this.#head === undefined) this.#tail = undefined;
      const expire = deadline.expire;
      deadline.expire = undefined;
      expire?.();
      deadline = this.#head;
    }
    if (deadline !== undefined && this.#timer === undefined) {
      this.#arm(Math.max(1, Math.ceil(deadline.at - now)));
    }
  };

  #arm(ms: number): void {
    this.#timer = setTimeout(this.#sweep, ms);
    if (this.#unref) this.#timer.unref();
  }
}

/** Races promises against per-call timeouts of any value, one {@link DeadlineQueue} per value. */
export class Deadlines {
  readonly #queues = new Map<number, DeadlineQueue>();

  constructor(private readonly options: DeadlineQueueOptions = {}) {}

  /** `promise`, or a rejection with `onTimeout(ms)` once `ms` have passed. */
  within<T>(promise: Promise<T>, ms: number, onTimeout: (ms: number) => Error): Promise<T> {
    let queue = this.#queues.get(ms);
    if (queue === undefined) {
      queue = new DeadlineQueue(ms, this.options);
      this.#queues.set(ms, queue);
    }
    const q = queue;
    return new Promise<T>((resolve, reject) => {
      const deadline = q.start(() => reject(onTimeout(ms)));
      promise.then(
        (value) => {
          if (q.end(deadline)) resolve(value);
        },
        (err: unknown) => {
          if (q.end(deadline)) reject(toError(err));
        },
      );
    });
  }
}
