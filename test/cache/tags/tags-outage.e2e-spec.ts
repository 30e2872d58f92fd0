/**
 * A tagged hit reads its entry and its tags' versions with one command: when Redis does not
 * answer it, the call still answers (its method runs, nothing is stored), the failure is counted
 * once, and once Redis answers again the entry and its tags work as before.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps } from '../cache.fixtures.js';

const redis = useRedisServer(); // this file's own server: the test stops it for a while
afterEach(closeApps);

describe('a tagged read when Redis does not answer', () => {
  it('answers from the method, counts one failure, and stores nothing', async () => {
    const { server } = redis;
    const { cache } = await boot({ backend: 'redis', url: server.url, cache: { timeout: 150 } });
    let loads = 0;
    const tags = ['user:1', 'team:1'];
    const load = () => cache.wrap('k', () => ++loads, { tags });
    expect(await load()).toBe(1);
    expect(await load()).toBe(1);
    cache.resetStats();
    process.kill(server.pid!, 'SIGSTOP');
    try {
      expect(await load()).toBe(2);
      expect(cache.stats()).toMatchObject({ misses: 1, errors: 1, writes: 0 });
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    expect(await load()).toBe(1); // the entry stored before
    await cache.invalidateTags('team:1');
    expect(await load()).toBe(3);
    expect(await load()).toBe(3);
  }, 30_000);
});
