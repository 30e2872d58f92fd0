import type {
  RateLimitDecision,
  RateLimitHeaderFormat,
  RateLimitPolicyState,
} from './rate-limit.interfaces.js';

/** Seconds, rounded up: a client that waits this long is never early. */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

/**
 * Seconds until a policy's quota resets. On a rejection it is the time until the request would be
 * admitted, so `reset` and `Retry-After` agree; otherwise the time until the quota is whole again.
 */
function resetSeconds(
  state: Pick<RateLimitPolicyState, 'allowed' | 'resetMs' | 'retryAfterMs'>,
): number {
  return seconds(state.allowed ? state.resetMs : state.retryAfterMs);
}

/** `100;w=60, 1000;w=3600` (drafts 6 and 7). */
function policyList(decision: RateLimitDecision): string {
  return decision.policies.map((p) => `${p.limit};w=${seconds(p.window)}`).join(', ');
}

/**
 * The rate-limit headers of `decision` in `format`, as [name, value] pairs. The single-policy
 * formats (legacy, draft-6, draft-7) describe the binding policy; draft-8 lists every policy.
 * `now` (epoch ms) is only used by `legacy`, whose reset is a Unix time in seconds.
 */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  format: Exclude<RateLimitHeaderFormat, false>,
  now: number = Date.now(),
): [string, string][] {
  const resetMs = decision.allowed ? decision.resetMs : decision.retryAfterMs;
  const reset = seconds(resetMs);
  const { limit, remaining } = decision;
  switch (format) {
    case 'legacy':
      return [
        ['X-RateLimit-Limit', String(limit)],
        ['X-RateLimit-Remaining', String(remaining)],
        ['X-RateLimit-Reset', String(Math.ceil((now + resetMs) / 1000))],
      ];
    case 'draft-6':
      return [
        ['RateLimit-Policy', policyList(decision)],
        ['RateLimit-Limit', String(limit)],
        ['RateLimit-Remaining', String(remaining)],
        ['RateLimit-Reset', String(reset)],
      ];
    case 'draft-7':
      return [
        ['RateLimit-Policy', policyList(decision)],
        ['RateLimit', `limit=${limit}, remaining=${remaining}, reset=${reset}`],
      ];
    case 'draft-8':
      return [
        [
          'RateLimit-Policy',
          decision.policies
            .map((p) => `"${p.name}";q=${p.limit};w=${seconds(p.window)}`)
            .join(', '),
        ],
        [
          'RateLimit',
          decision.policies
            .map((p) => `"${p.name}";r=${p.remaining};t=${resetSeconds(p)}`)
            .join(', '),
        ],
      ];
  }
}

/** `Retry-After` of a rejected decision: whole seconds, at least 1, never earlier than admission. */
export function retryAfterSeconds(decision: RateLimitDecision): number {
  return Math.max(1, seconds(decision.retryAfterMs));
}
