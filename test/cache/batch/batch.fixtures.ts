/**
 * Helpers of the batch suites: what the servers ran (INFO commandstats, summed over servers), a
 * deterministic shuffle of ids, so "the caller's order" is not simply sorted, and an app around
 * one decorated service.
 */
import type { Type } from '@nestjs/common';
import type { RedisServer } from '../../support/redis-servers.js';
import { boot, type Backend } from '../cache.fixtures.js';

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

/** Commands that read or write data (not the channel's PINGs, INFO, CONFIG, PUBLISH). */
export const DATA_COMMANDS = ['get', 'mget', 'pttl', 'set', 'del', 'evalsha', 'eval', 'scan'];

/** How many data commands `calls` holds. */
export const dataCalls = (calls: Map<string, number>): number =>
  DATA_COMMANDS.reduce((sum, name) => sum + (calls.get(name) ?? 0), 0);

/** `0..n-1` as strings, in a fixed order that is not sorted (a multiplicative permutation). */
export function shuffledIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String((i * 7919) % n));
}

/** The entity of the decorator suites. */
export interface User {
  id: string;
  name: string;
}

/** An app on `backend` (Redis: the server at `url`) providing `service`; and that service. */
export async function bootService<T>(backend: Backend, url: string, service: Type<T>) {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const booted = await boot({ backend, url, cache: { timeout: '5s' }, providers: [service] });
  return { ...booted, service: booted.app.get(service) };
}
