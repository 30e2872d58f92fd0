import { MAX_TTL_MS } from '../../store/index.js';
import type { LocalReadiness, LocalSync } from './local.sync.js';

/** How one plan (a method, a call) uses its store's local tier. */
export interface LocalUse {
  readonly sync: LocalSync;
  /** The plan's cap on an entry's time in the tier (ms); undefined: its time left in the store. */
  readonly ttl: number | undefined;
  /** Whether local hits share one decoded object. */
  readonly shared: boolean;
  /** Whether the tier serves the plan's namespace yet (with tracking: once Redis tracks it). */
  readonly readiness: LocalReadiness;
}

/**
 * How long an entry stays in the tier: the plan's cap, never longer than its time left in the
 * store. `remaining` is that time as Redis counted it (Infinity: no expiry) for a command sent at
 * `sentAt` (performance.now()); Redis started counting after that, so the tier's copy, dated from
 * `sentAt`, expires no later than the store's.
 */
export function localTtl(local: Pick<LocalUse, 'ttl'>, remaining: number, sentAt: number): number {
  return Math.min(local.ttl ?? MAX_TTL_MS, remaining - (performance.now() - sentAt));
}
