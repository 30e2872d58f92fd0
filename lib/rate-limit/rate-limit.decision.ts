import { withTimeout } from '../shared/timeout.js';
import { asKvsError, KvsConnectionError } from '../store/kvs.errors.js';
import type { BackendDecision } from './backends/index.js';
import type {
  RateLimitDecision,
  RateLimitPolicyState,
  RateLimitStoreErrorPolicy,
} from './rate-limit.interfaces.js';
import type { ResolvedPolicy } from './rate-limit.policy.js';

/** Combines the counters' outcomes; the binding policy is the one that matters most to the client. */
export function toDecision(
  policies: readonly ResolvedPolicy[],
  outcome: BackendDecision,
): RateLimitDecision {
  const states: RateLimitPolicyState[] = [];
  let binding: RateLimitPolicyState | undefined;
  let remaining = Infinity;
  let retryAfterMs = 0;
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i]!;
    const c = outcome.counters[i]!;
    const s: RateLimitPolicyState = {
      name: p.name,
      limit: p.limit,
      window: p.window,
      allowed: c.allowed,
      remaining: c.remaining,
      resetMs: c.resetMs,
      retryAfterMs: c.retryAfterMs,
    };
    states.push(s);
    if (s.remaining < remaining) remaining = s.remaining;
    if (s.retryAfterMs > retryAfterMs) retryAfterMs = s.retryAfterMs;
    if (
      binding === undefined ||
      (outcome.allowed ? s.remaining < binding.remaining : s.retryAfterMs > binding.retryAfterMs)
    ) {
      binding = s;
    }
  }
  return {
    allowed: outcome.allowed,
    limit: binding!.limit,
    remaining,
    resetMs: binding!.resetMs,
    retryAfterMs: outcome.allowed ? 0 : retryAfterMs,
    policy: binding!.name,
    policies: states,
  };
}

/**
 * The decision when the store failed: `onStoreError` decides, the counts are unknown (0), and
 * `storeError` holds the failure.
 */
export function degradedDecision(
  policies: readonly ResolvedPolicy[],
  err: unknown,
  policy: RateLimitStoreErrorPolicy,
): RateLimitDecision {
  const allowed = policy === 'allow';
  const states = policies.map((p) => ({
    name: p.name,
    limit: p.limit,
    window: p.window,
    allowed,
    remaining: 0,
    resetMs: 0,
    retryAfterMs: 0,
  }));
  const first = states[0]!;
  return {
    allowed,
    limit: first.limit,
    remaining: 0,
    resetMs: 0,
    retryAfterMs: 0,
    policy: first.name,
    policies: states,
    storeError: asKvsError(err, 'The rate-limit store'),
  };
}

/** `pending`, or a `KvsConnectionError` if it does not settle within `ms`. */
export function withStoreTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  return withTimeout(
    pending,
    ms,
    () => new KvsConnectionError(`The rate-limit store did not answer within ${ms} ms (timeout).`),
    (err) => asKvsError(err, 'The rate-limit store'),
  );
}
