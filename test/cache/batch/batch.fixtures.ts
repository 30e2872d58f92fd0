/**
 * Helpers of the batch suites: how many data commands the servers ran, a
 * deterministic shuffle of ids, so "the caller's order" is not simply sorted, and an app around
 * one decorated service.
 */
import type { Type } from '@nestjs/common';
import { DATA_COMMANDS } from '../../support/command-stats.js';
import { boot, type Backend } from '../cache.fixtures.js';

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
