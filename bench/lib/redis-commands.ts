/**
 * Counts the commands a redis-server executed, from `INFO commandstats`, so a bench can show how
 * many Redis commands an operation costs (0 for a hit served from process memory). INFO itself
 * and PING are left out: PING is what subscriber connections send as a heartbeat (the store's
 * channel once a second, whatever the callers do), not a cost of the operation.
 */
import { Redis } from 'ioredis';

/** Commands not counted. */
const IGNORED = new Set(['info', 'ping']);

export interface CommandCounter {
  /** Commands the server executed since it started, less INFO and PING. */
  total(): Promise<number>;
  /** The same, by command name (lower case). */
  byCommand(): Promise<Map<string, number>>;
  /**
   * Waits until the count stays the same for `quietMs` (at most `maxMs`), so that commands still
   * under way (a batch of invalidations published after writes) are not counted against the next run.
   */
  settle(quietMs?: number, maxMs?: number): Promise<void>;
  /** Commands executed while `run` ran, less INFO and PING. */
  during(run: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

/** A counter with its own connection to the redis-server at `url`. */
export function commandCounter(url: string): CommandCounter {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const byCommand = async (): Promise<Map<string, number>> => {
    const info = await client.info('commandstats');
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (!IGNORED.has(match[1]!)) calls.set(match[1]!, Number(match[2]));
    }
    return calls;
  };
  const total = async (): Promise<number> => {
    let calls = 0;
    for (const n of (await byCommand()).values()) calls += n;
    return calls;
  };
  const settle = async (quietMs = 100, maxMs = 3000): Promise<void> => {
    const deadline = performance.now() + maxMs;
    let last = await total();
    while (performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      const now = await total();
      if (now === last) return;
      last = now;
    }
  };
  return {
    total,
    byCommand,
    settle,
    during: async (run) => {
      const before = await total();
      await run();
      return (await total()) - before;
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
