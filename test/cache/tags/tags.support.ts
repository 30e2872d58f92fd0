/** Helpers of the tags' specs: the data commands Redis servers ran (INFO commandstats); polling. */
import { commandCalls, DATA_COMMANDS } from '../../support/command-stats.js';
import { waitUntil, type RedisServer } from '../../support/redis-servers.js';

/** Calls of each data command so far (not PING, INFO, PUBLISH, SUBSCRIBE), summed over `servers`. */
export async function commandCounts(
  servers: readonly RedisServer[],
): Promise<Record<(typeof DATA_COMMANDS)[number], number>> {
  const calls = await commandCalls(servers);
  return Object.fromEntries(DATA_COMMANDS.map((name) => [name, calls.get(name) ?? 0])) as Record<
    (typeof DATA_COMMANDS)[number],
    number
  >;
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
