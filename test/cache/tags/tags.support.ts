/** Helpers of the tags' specs: the data commands Redis servers ran (INFO commandstats); polling. */
import { waitUntil, type RedisServer } from '../../support/redis-servers.js';

const DATA = ['get', 'mget', 'pttl', 'set', 'evalsha', 'eval', 'del', 'scan'] as const;

/** Calls of each data command so far (not PING, INFO, PUBLISH, SUBSCRIBE), summed over `servers`. */
export async function commandCounts(
  servers: readonly RedisServer[],
): Promise<Record<(typeof DATA)[number], number>> {
  const counts = Object.fromEntries(DATA.map((name) => [name, 0])) as Record<
    (typeof DATA)[number],
    number
  >;
  for (const server of servers) {
    const info = await server.info('commandstats');
    for (const name of DATA) {
      counts[name] += Number(/calls=(\d+)/.exec(info[`cmdstat_${name}`] ?? '')?.[1] ?? 0);
    }
  }
  return counts;
}

/** The commands run between two counts, by name (those run at least once). */
export function ran(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([name, n]) => [name, n - (before[name] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

/** Resolves once `check` holds (polled every 10 ms); fails after 15 s naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitUntil(what, async () => (await check()) || undefined, {
    timeoutMs: 15_000,
    intervalMs: 10,
  });
}
