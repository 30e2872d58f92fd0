/**
 * Counts the commands a redis-server executed, from `INFO commandstats`, so a bench can show how
 * many Redis commands an operation costs (0 for a hit served from process memory).
 */
import { Redis } from 'ioredis';

export interface CommandCounter {
  /** Commands the server executed since it started, not counting INFO itself. */
  total(): Promise<number>;
  /** Commands executed while `run` ran (INFO excluded). */
  during(run: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

/** A counter with its own connection to the redis-server at `url`. */
export function commandCounter(url: string): CommandCounter {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const total = async (): Promise<number> => {
    const info = await client.info('commandstats');
    let calls = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (match[1] !== 'info') calls += Number(match[2]);
    }
    return calls;
  };
  return {
    total,
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
