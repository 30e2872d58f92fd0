/**
 * The outcome of a decision that spends nothing (refused, or a peek), with lockouts (`block`):
 * shared by the memory backend, and mirrored by the end of the Redis script.
 */
import type { Evaluation } from './memory.algorithms.js';
import type { CounterOutcome, CounterRequest, DecideMode } from './rate-limit-backend.contract.js';

/**
 * Each counter's unspent outcome. A refusal by a policy with `block` (in `'spend'` mode, when its
 * key is not locked already) locks its key until now + block; then every policy of a locked key
 * reads refused until the lockout ends (remaining 0, retry and reset at least the rest of it).
 * `locked[i]` is the lockout in force on request i's key before the decision (0 for none).
 */
export function withLockouts(
  requests: readonly CounterRequest[],
  evaluations: readonly Evaluation[],
  locked: readonly number[],
  now: number,
  mode: DecideMode,
): { counters: CounterOutcome[]; set: Map<string, number> } {
  const set = new Map<string, number>();
  const until = new Map<string, number>();
  requests.forEach(({ blockKey, policy }, i) => {
    const before = locked[i]!;
    if (before > 0) until.set(blockKey, Math.max(until.get(blockKey) ?? 0, before));
    if (mode === 'spend' && before === 0 && !evaluations[i]!.allowed && policy.block > 0) {
      const end = now + policy.block;
      if (end > (set.get(blockKey) ?? 0)) set.set(blockKey, end);
      if (end > (until.get(blockKey) ?? 0)) until.set(blockKey, end);
    }
  });
  const counters = evaluations.map((e, i): CounterOutcome => {
    const end = until.get(requests[i]!.blockKey) ?? 0;
    if (end === 0) {
      return {
        allowed: e.allowed,
        remaining: e.remaining,
        resetMs: e.resetMs,
        retryAfterMs: e.retryAfterMs,
      };
    }
    const wait = Math.ceil(end - now);
    return {
      allowed: false,
      remaining: 0,
      resetMs: Math.max(e.resetMs, wait),
      retryAfterMs: Math.max(e.retryAfterMs, wait),
    };
  });
  return { counters, set };
}
