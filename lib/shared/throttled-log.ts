/** Where a {@link ThrottledLog} writes: Nest's `Logger` fits. */
export interface LogSink {
  warn(message: string): void;
}

/**
 * Logs at most one line per cause per interval, so a Redis outage at thousands of requests per
 * second gives a few lines, not thousands. The next line of a cause says how many were held back.
 * Shared by the module, caching and rate limiting.
 */
export class ThrottledLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly sink: LogSink,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs `message()` unless `cause` was logged less than the interval ago. */
  warn(cause: string, message: () => string): void {
    const now = this.now();
    const last = this.#last.get(cause);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    const held = last?.suppressed ?? 0;
    this.#last.set(cause, { at: now, suppressed: 0 });
    const seconds = Math.round(this.intervalMs / 1000);
    this.sink.warn(
      held > 0 ? `${message()} (${held} similar in the last ${seconds} s not logged)` : message(),
    );
  }
}
