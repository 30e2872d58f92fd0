/** A call waiting for Redis: it ends once, either answered or expired. */
export interface PendingCall {
  /** When the call expires, in `performance.now()` ms. */
  readonly at: number;
  /** Called once if the call expires first; cleared when it ends. */
  expire: (() => void) | undefined;
  next: PendingCall | undefined;
}

/** True once `call` was answered or expired. */
export function ended(call: PendingCall): boolean {
  return call.expire === undefined;
}

/**
 * The deadlines of the calls in flight, `timeoutMs` after each call, swept by one timer.
 *
 * Every call gets the same timeout, so deadlines come in the order the calls were made: they are
 * a FIFO list, and one timer armed for the oldest call's deadline serves them all. Starting or
 * ending a call costs a few field writes and no timer; the timer fires about once per `timeoutMs`
 * while calls are in flight, and not again once none are.
 */
export class Deadlines {
  readonly #timeoutMs: number;
  #head: PendingCall | undefined;
  #tail: PendingCall | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Starts a call; `expire` runs if it has not ended `timeoutMs` from now. */
  start(expire: () => void): PendingCall {
    const call: PendingCall = { at: performance.now() + this.#timeoutMs, expire, next: undefined };
    if (this.#tail === undefined) this.#head = call;
    else this.#tail.next = call;
    this.#tail = call;
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
    return call;
  }

  /** Ends `call`. True if it was still running, false if it had expired (or ended) already. */
  end(call: PendingCall): boolean {
    if (call.expire === undefined) return false;
    call.expire = undefined;
    this.#drop();
    return true;
  }

  /** Unlinks the ended calls at the head, so the list holds little more than the calls in flight. */
  #drop(): void {
    let head = this.#head;
    while (head !== undefined && head.expire === undefined) head = head.next;
    this.#head = head;
    if (head === undefined) this.#tail = undefined;
  }

  /** Expires every call past its deadline, then waits for the next deadline, if any. */
  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    let call = this.#head;
    while (call !== undefined && (call.expire === undefined || call.at <= now)) {
      // Unlinked first: `expire` may start a call.
      this.#head = call.next;
      if (this.#head === undefined) this.#tail = undefined;
      const expire = call.expire;
      call.expire = undefined;
      expire?.();
      call = this.#head;
    }
    if (call !== undefined && this.#timer === undefined) {
      this.#arm(Math.max(1, Math.ceil(call.at - now)));
    }
  };

  /**
   * Unref'd: it must not keep a process alive after its last call (a call still waiting has a
   * socket that does).
   */
  #arm(ms: number): void {
    this.#timer = setTimeout(this.#sweep, ms);
    this.#timer.unref();
  }
}
