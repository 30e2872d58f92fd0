/** The README's "Loader timeouts and grace" example, verbatim between the `// readme:` markers. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable, KvsCacheModule } from '../../../lib/index.js';
import { boot, closeApps, deferred, manualClock } from '../cache.fixtures.js';

afterEach(() => closeApps());

const upstream = { fetch: async (): Promise<Record<string, number>> => ({ EUR: 1.08 }) };

// readme: grace-service
@Injectable()
class Rates {
  @Cacheable({
    key: 'rates',
    ttl: '1m',
    grace: '6h', // kept 6 h past its ttl, served if a load fails or times out
    graceBackoff: '30s', // after a failure: served as is for 30 s, on every instance
    softTimeout: '200ms', // with a graced entry: answer with it after 200 ms, load on
    hardTimeout: '2s', // never wait longer; without a graced entry: KvsCacheTimeoutError
  })
  async current(): Promise<Record<string, number>> {
    return upstream.fetch();
  }
}
// readme: end

describe('README: loader timeouts and grace', () => {
  it('answers with the graced entry while the upstream is down or slow', async () => {
    const clock = manualClock();
    const { app, cache } = await boot({
      backend: 'memory',
      memory: { clock: clock.now },
      providers: [Rates],
      cache: { clock: clock.now },
    });
    const rates = app.get(Rates);
    expect(await rates.current()).toEqual({ EUR: 1.08 });
    clock.advance(61_000);
    upstream.fetch = async () => {
      throw new Error('503 from upstream');
    };
    expect(await rates.current()).toEqual({ EUR: 1.08 }); // the load failed: graced
    clock.advance(31_000);
    const slow = deferred<Record<string, number>>();
    upstream.fetch = () => slow.promise;
    expect(await rates.current()).toEqual({ EUR: 1.08 }); // past softTimeout: graced
    slow.resolve({ EUR: 1.1 });
    // readme: grace-stats
    const { graced, timeouts, stale } = cache.stats(); // graced answers count in stale too
    // readme: end
    expect({ graced, timeouts, stale }).toEqual({ graced: 2, timeouts: 1, stale: 2 });
  });

  it('checks the options at startup', () => {
    expect(() => KvsCacheModule.forRoot({ grace: '1h', ttl: 0 })).toThrow(
      /grace 3600000 needs a ttl > 0/,
    );
  });
});
