/**
 * The README's "A local tier" examples (between the `// readme:` markers), run against a real
 * Redis with two app instances.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cacheable, KvsCache, KvsCacheModule, KvsModule } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { waitUntil } from '../../support/redis-servers.js';
import { uniquePrefix } from '../cache.fixtures.js';

const redis = useRedisServer();
const apps: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const db = { reads: 0 };

// readme: local-methods
@Injectable()
class Catalog {
  @Cacheable({ key: (id: string) => `product:${id}` })
  async product(id: string): Promise<{ id: string; name: string }> {
    db.reads++;
    return { id, name: `Product ${id}` };
  }

  // Read on every request: one shared object for every local hit (callers must not mutate it).
  @Cacheable({ key: 'categories', local: { shared: true } })
  async categories(): Promise<string[]> {
    db.reads++;
    return ['books', 'games'];
  }

  // Changes every second: not worth holding in process memory.
  @Cacheable({ key: (id: string) => `stock:${id}`, ttl: '1s', local: false })
  async stock(_id: string): Promise<number> {
    db.reads++;
    return 42;
  }
}
// readme: end

async function instance(keyPrefix: string) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      KvsModule.forRoot({ type: 'redis', url: redis.server.url, keyPrefix }),
      // readme: local-module
      KvsCacheModule.forRoot({
        ttl: '5m',
        // Hits from process memory, dropped on every instance when an entry changes.
        local: { maxEntries: 50_000, ttl: '30s' },
      }),
      // readme: end
    ],
    providers: [Catalog],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return { catalog: app.get(Catalog), cache: app.get(KvsCache) };
}

describe('README: a local tier', () => {
  it('serves repeated reads from memory and drops an entry everywhere when it changes', async () => {
    const keyPrefix = uniquePrefix();
    const one = await instance(keyPrefix);
    const two = await instance(keyPrefix);
    const { cache } = one;
    const catalog = two.catalog;
    await one.catalog.product('1');
    await waitUntil(
      'instance two to hear the write',
      async () => two.cache.stats().invalidationsReceived > 0 || undefined,
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    await catalog.product('1');
    await catalog.product('1');
    await catalog.categories();
    expect(await catalog.categories()).toBe(await catalog.categories());
    await catalog.stock('1');
    await catalog.stock('1');
    // readme: local-stats
    await cache.set('product:1', { id: '1', name: 'Renamed' });
    // Every other instance drops product:1 from its local tier within milliseconds.
    const { localHits, storeHits, invalidationsSent } = cache.stats();
    // readme: end
    expect(invalidationsSent).toBeGreaterThanOrEqual(1);
    expect({ localHits, storeHits }).toEqual({ localHits: 0, storeHits: 0 });
    // product: 1 store hit then 1 local; categories: a miss, then 2 local; stock: 1 store hit.
    expect(two.cache.stats()).toMatchObject({ localHits: 3, storeHits: 2, misses: 2 });
    await waitUntil(
      'instance two to drop product:1',
      async () => (await catalog.product('1')).name === 'Renamed' || undefined,
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  });
});
