import { Logger } from '@nestjs/common';

/**
 * Logs store failures without flooding: the first at once, then at most one line per interval,
 * saying how many failures it left out meanwhile.
 */
export class ThrottledLogger {
  #last = -Infinity;
  #suppressed = 0;

  constructor(
    private readonly logger: Pick<Logger, 'error'> = new Logger('RateLimiter'),
    private readonly intervalMs = 10_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Logs `message`, unless a line went out less than `intervalMs` ago. */
  error(message: string): void {
    const now = this.clock();
    if (now - this.#last < this.intervalMs) {
      this.#suppressed++;
      return;
    }
    const left =
      this.#suppressed > 0 ? ` (${this.#suppressed} more failures since the last report)` : '';
    this.#last = now;
    this.#suppressed = 0;
    this.logger.error(`${message}${left}`);
  }
}
