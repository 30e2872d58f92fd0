/**
 * Rate-limit options that escape TypeScript are checked at runtime (unknown keys with a "did you
 * mean"), windows and timeouts take duration strings, and a numeric window under a second warns
 * once that it is milliseconds.
 */
import { ConsoleLogger, Logger } from '@nestjs/common';
import {
  isKvsError,
  RateLimit,
  RateLimiter,
  RateLimitModule,
  type RateLimitPolicy,
} from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { thrown } from '../support/thrown.js';

const redis = useRedisServer();

/** A policy as plain JavaScript or a config file would give it. */
const loose = (policy: Record<string, unknown>) => policy as unknown as RateLimitPolicy;

describe('unknown keys', () => {
  it('in a policy: names it and the closest known key', () => {
    const err = thrown(() => RateLimit(loose({ limit: 5, windw: 60_000 })));
    expect(isKvsError(err, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect(err.message).toMatch(
      /Unknown option 'windw' in a rate-limit policy\. Did you mean 'window'\?/,
    );
  });

  it('in the route options and the module options', () => {
    expect(
      thrown(() => RateLimit({ limit: 1, window: '1s' }, { header: false } as never)).message,
    ).toMatch(/Unknown option 'header' in the @RateLimit\(\) options\. Did you mean 'headers'\?/);
    expect(thrown(() => RateLimitModule.forRoot({ keyprefix: 'x:' } as never)).message).toMatch(
      /Unknown option 'keyprefix' in the RateLimitModule options\. Did you mean 'keyPrefix'\?/,
    );
    expect(thrown(() => new RateLimiter({ onStoreErrors: 'deny' } as never)).message).toMatch(
      /Did you mean 'onStoreError'\?/,
    );
  });
});

describe('duration strings', () => {
  it.each(redis.stores())(
    "'5 per 1h' admits 5 of 20 on %s, and the decision reports the window in ms",
    async (_backend, make) => {
      const limiter = new RateLimiter({ store: await make(), timeout: '2s' });
      const policy: RateLimitPolicy = { limit: 5, window: '1h', name: 'hourly' };
      const decisions = [];
      for (let i = 0; i < 20; i++) decisions.push(await limiter.consume('client', policy));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      expect(decisions[0]!.policies[0]!.window).toBe(3_600_000);
      // Minutes, not the 60 ms a misread '60' would give (the sliding window's retry depends on
      // where in its aligned window the test runs, up to two windows).
      expect(decisions[19]!.retryAfterMs).toBeGreaterThan(60_000);
      expect(decisions[19]!.retryAfterMs).toBeLessThanOrEqual(7_200_000);
    },
  );
});

describe('a numeric window under a second', () => {
  it("warns once that it is milliseconds, and not for the string '60ms'", () => {
    const lines: string[] = [];
    Logger.overrideLogger({
      log() {},
      error() {},
      warn: (m: unknown) => void lines.push(String(m)),
    });
    try {
      RateLimit({ limit: 5, window: 60 });
      RateLimit({ limit: 3, window: 60 });
      RateLimit({ limit: 5, window: '60ms' });
      RateLimit({ limit: 5, window: 1000 });
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
    expect(lines).toEqual([
      "A rate-limit window of 60 (a number) is 60 ms. If you meant seconds, write '60s'; if you meant milliseconds, write '60ms' and this warning goes away.",
    ]);
  });

  it('rejects a duration string it cannot read, without quoting it', () => {
    const err = thrown(() => RateLimit(loose({ limit: 5, window: '5 parsecs' })));
    expect(err.message).toMatch(
      /window must be a whole number of milliseconds >= 1, got a string \(9 chars\); or a duration such as '1s'/,
    );
  });
});
