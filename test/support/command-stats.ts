/** What Redis servers ran, from INFO commandstats: for tests that count round trips. */
import type { RedisServer } from './redis-servers.js';

/** Commands that read or write data (not the channel's PINGs, INFO, CONFIG, PUBLISH, SUBSCRIBE). */
export const DATA_COMMANDS = [
  'get',
  'mget',
  'pttl',
  'set',
  'del',
  'evalsha',
  'eval',
  'scan',
] as const;

/** Calls per command name (`mget`, `get`, `set`...) the servers ran since their last RESETSTAT. */
export async function commandCalls(servers: readonly RedisServer[]): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const server of servers) {
    for (const [name, value] of Object.entries(await server.info('commandstats'))) {
      const command = /^cmdstat_(.+)$/.exec(name)?.[1];
      const n = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
      if (command !== undefined) calls.set(command, (calls.get(command) ?? 0) + n);
    }
  }
  return calls;
}
