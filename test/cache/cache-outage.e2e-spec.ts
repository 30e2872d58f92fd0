/**
 * A failing store never fails the call: redis-server killed mid-test, paused (slow), and
 * restarted. Each cache step is bounded by `timeout`, the method runs directly, the log stays
 * short, and caching resumes once Redis is back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheEvict } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { boot, closeApps, deferred, recordingLogger, until } from './cache.fixtures.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(async () => {
  await closeApps();
  if (!server.running) await server.restart();
}, 30_000);
afterAll(() => stopAll(), 30_000);

@Injectable()
class Catalog {
  runs = 0;
  /** When set, a run waits for it: a slow catalog, so that later calls find the run in flight. */
  gate: Promise<void> | undefined;

  @Cacheable({ key: (id: string) => `product:${id}`, lock: true })
  async product(id: string): Promise<{ id: string }> {
    this.runs++;
    await this.gate;
    return { id };
  }

  @CacheEvict({ allEntries: true })
  async reset(): Promise<string> {
    return 'reset';
  }
}

async function start() {
  const logger = recordingLogger();
  const booted = await boot({
    backend: 'redis',
    url: server.url,
    providers: [Catalog],
    cache: { timeout: 150, logger, logInterval: 60_000 },
  });
  return { ...booted, logger, catalog: booted.app.get(Catalog) };
}

describe('store outages', () => {
  it('keeps answering while redis-server is killed, then caches again after a restart', async () => {
    const { catalog, cache, logger } = await start();
    await catalog.product('1');
    await catalog.product('1');
    expect(catalog.runs).toBe(1);

    await server.kill();
    const started = Date.now();
    for (let i = 0; i < 50; i++) expect(await catalog.product('1')).toEqual({ id: '1' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => catalog.product(String(i))));
    expect(await catalog.reset()).toBe('reset');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(catalog.runs).toBe(1 + 50 + 50);
    expect(cache.stats().errors).toBeGreaterThanOrEqual(100);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.length).toBeLessThanOrEqual(4);
    expect(logger.lines.join('\n')).toMatch(/Cache store get failed \(KvsConnectionError/);

    await server.restart();
    await until(async () => {
      const before = cache.stats().writes;
      await catalog.product('after');
      return cache.stats().writes > before;
    }, 15_000);
    const runs = catalog.runs;
    await catalog.product('after');
    await catalog.product('after');
    expect(catalog.runs).toBe(runs);
  }, 60_000);

  it('bounds every step by timeout when Redis does not answer', async () => {
    const { catalog, cache, logger } = await start();
    await catalog.product('1');
    cache.resetStats(); // count only the calls below (a loaded machine may time out a step above)
    // Stopped until the end of the test, so no read is answered late, however slow the machine.
    process.kill(server.pid!, 'SIGSTOP');
    try {
      const gate = deferred();
      catalog.gate = gate.promise;
      const started = Date.now();
      const product = () => catalog.product('1');
      // Two waves whose reads time out at different moments, as calls spread over a few ms on a
      // loaded machine do (the event loop held for 5 ms between them). The run is held until every
      // read gave up, so the second wave's misses find it in flight however the timers group.
      const first = Array.from({ length: 10 }, product);
      for (const end = performance.now() + 5; performance.now() < end;);
      const second = Array.from({ length: 10 }, product);
      await until(() => cache.stats().errors === 20, 900);
      gate.resolve();
      const results = await Promise.all([...first, ...second]);
      const elapsed = Date.now() - started;
      expect(results).toEqual(Array(20).fill({ id: '1' }));
      expect(elapsed).toBeLessThan(900);
      expect(catalog.runs).toBe(2);
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 20, errors: 20 });
      expect(logger.lines.join('\n')).toMatch(/no answer within 150 ms/);
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
  }, 30_000);
});
