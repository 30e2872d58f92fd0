/**
 * The guard's refund of a counted request (`count: 'failures' | 'successes'`) is paid once the
 * response is over; a `reset` of the key before then voids it, else it would cancel the count of
 * a request made after the reset (a successful login that resets its failures, then a wrong
 * password from the same user before the success's response has finished).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { createMemoryStore, RateLimiter, type RateLimitPolicy } from '../../lib/index.js';
import { refundByOutcome } from '../../lib/rate-limit/rate-limit.outcome.js';
import { resolvePolicy } from '../../lib/rate-limit/rate-limit.policy.js';

const failures: RateLimitPolicy = {
  name: 'failures',
  limit: 3,
  window: '1m',
  algorithm: 'fixed-window',
  count: 'failures',
};

/** A Node response as the guard watches it: a status, and its 'finish' event. */
class Response extends EventEmitter {
  statusCode = 200;
  writableFinished = false;

  end(status: number): void {
    this.statusCode = status;
    this.writableFinished = true;
    this.emit('finish');
  }
}

/** Lets the refund's store step (memory: a few promise turns) run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('refunds of counted requests', () => {
  it('a reset before the response is over voids the refund: a request after the reset stays counted', async () => {
    const limiter = new RateLimiter({ store: createMemoryStore() });
    const policy = resolvePolicy(failures);
    const key = '{user:dee}';
    // A: a successful login, counted up front; its handler resets the user's failures.
    await limiter.consume(key, failures);
    const a = new Response();
    refundByOutcome(limiter, a, [key], [policy]);
    await limiter.reset(key, failures);
    // B: a wrong password, counted after the reset, before A's response is over.
    await limiter.consume(key, failures);
    a.end(200);
    await settled();
    expect((await limiter.peek(key, failures)).remaining).toBe(2); // B still counts
  });

  it('without a reset, a success is given back once its response is over, and a failure is not', async () => {
    const limiter = new RateLimiter({ store: createMemoryStore() });
    const policy = resolvePolicy(failures);
    const key = '{user:eve}';
    for (const status of [200, 401]) {
      await limiter.consume(key, failures);
      const res = new Response();
      refundByOutcome(limiter, res, [key], [policy]);
      expect((await limiter.peek(key, failures)).remaining).toBe(2); // counted up front
      res.end(status);
      await settled();
    }
    expect((await limiter.peek(key, failures)).remaining).toBe(2); // the 401 counts, the 200 not
  });
});
