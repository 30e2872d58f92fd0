import type { Duration } from '../../shared/duration.js';
import { toMilliseconds } from '../../shared/duration.js';
import { KvsInvalidArgumentError, MAX_TTL_MS } from '../../store/index.js';
import { graceMessages } from './grace.messages.js';

/** A `ttl` chosen from the result (and, on a decorated method, its arguments). */
export type TtlFunction = (result: unknown, ...args: unknown[]) => Duration;

/**
 * The ttl (ms) a ttl function chose for one result: a duration >= 0 (0: until evicted, so no
 * stale or grace period either); `staleTtl` and `grace` are added to it as to a fixed ttl.
 * Anything else throws KvsInvalidArgumentError, and the result is not cached.
 */
export function resultTtl(label: string, got: unknown, staleTtl: number, grace: number): number {
  const ms = typeof got === 'number' || typeof got === 'string' ? toMilliseconds(got) : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new KvsInvalidArgumentError(graceMessages.badTtl(label, got));
  }
  if (ms > 0 && ms + staleTtl + grace > MAX_TTL_MS) {
    throw new KvsInvalidArgumentError(
      graceMessages.ttlTooLong(label, ms, staleTtl, grace, MAX_TTL_MS),
    );
  }
  return ms;
}
