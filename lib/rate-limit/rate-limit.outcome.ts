import type { ResolvedPolicy } from './rate-limit.policy.js';
import type { RateLimiter } from './rate-limiter.service.js';

/** The part of Node's `ServerResponse` read here (Express's response; Fastify's `reply.raw`). */
interface RawResponse {
  statusCode: number;
  writableFinished?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * `count: 'failures' | 'successes'`: the request was counted up front; once its HTTP response is
 * over, the policies that should not count its outcome are refunded, atomically. A failure is a
 * status >= 400 (a handler that threw gets one from Nest's exception filter) or a response that
 * never finished (the client hung up). Without a Node response to watch (other contexts),
 * nothing is refunded: every request counts. A `reset` of the key before the response is over
 * voids the refund (it would cancel the count of a request made after the reset).
 */
export function refundByOutcome(
  limiter: RateLimiter,
  res: object,
  keys: readonly string[],
  policies: readonly ResolvedPolicy[],
): void {
  const raw = ((res as { raw?: unknown }).raw ?? res) as Partial<RawResponse>;
  if (typeof raw.once !== 'function') return;
  const counted = policies.flatMap((p, i) => (p.count === undefined ? [] : [i]));
  const owed = limiter.oweRefund(
    counted.map((i) => keys[i]!),
    counted.map((i) => policies[i]!),
  );
  let settled = false;
  const done = (): void => {
    if (settled) return;
    settled = true;
    const failed = raw.writableFinished !== true || (raw.statusCode ?? 0) >= 400;
    const refunded = failed ? 'successes' : 'failures';
    void limiter.refundOutcome(owed, (request) => request.policy.count === refunded);
  };
  raw.once('finish', done);
  raw.once('close', done);
}
