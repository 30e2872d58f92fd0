/**
 * The README's examples, verbatim between the `readme:` markers. If one of them stops working,
 * this suite fails before the README can lie.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { startRedis, stopAll, type RedisServer } from './support/redis-servers.js';
// readme: imports
import {
  createMemoryStore,
  createRedisStore,
  createTypedStore,
  InjectKvs,
  isKvsError,
  KvsModule,
  KvsNotFoundError,
  type KvsStore,
} from '../lib/index.js';
// readme: end

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
  process.env['REDIS_URL'] = server.url;
});
afterAll(async () => {
  await stopAll();
});

// readme: service
@Injectable()
class VisitCounter {
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  /** Counts visits per page for a day; the counter expires by itself. */
  count(page: string): Promise<number> {
    return this.store.increment(`visits:${page}`, 1, 24 * 60 * 60 * 1000);
  }
}
// readme: end

describe('README examples', () => {
  it('module with forRoot (memory) and an injected store', async () => {
    // readme: forRoot
    @Module({
      imports: [KvsModule.forRoot()], // memory; or { type: 'redis', url, keyPrefix }
      providers: [VisitCounter],
    })
    class AppModule {}
    // readme: end
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const counter = app.get(VisitCounter);
    expect(await counter.count('home')).toBe(1);
    expect(await counter.count('home')).toBe(2);
    await app.close();
  });

  it('module with forRootAsync and named stores', async () => {
    @Injectable()
    class Settings {
      readonly redisUrl = process.env['REDIS_URL']!;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}

    // readme: forRootAsync
    @Injectable()
    class SessionService {
      constructor(
        @InjectKvs('sessions') private readonly sessions: KvsStore,
        @InjectKvs() private readonly cache: KvsStore,
      ) {}
    }

    @Module({
      imports: [
        KvsModule.forRoot({ type: 'memory', maxEntries: 10_000 }),
        KvsModule.forRootAsync({
          name: 'sessions',
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({
            type: 'redis',
            url: settings.redisUrl,
            keyPrefix: 'sess:',
          }),
        }),
      ],
      providers: [SessionService],
    })
    class AppModule {}
    // readme: end
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    expect(app.get(SessionService)).toBeInstanceOf(SessionService);
    await app.close();
  });

  it('the store API', async () => {
    const url = server.url;
    // readme: store
    const store = await createRedisStore({ url, keyPrefix: 'myapp:' }); // or createMemoryStore()

    await store.set('user:123', Buffer.from('{"name":"john"}'), 60 * 60 * 1000); // 1 hour
    const data = await store.get('user:123'); // Buffer
    const keys = await store.list('user:'); // ['user:123']

    try {
      await store.get('missing');
    } catch (err) {
      // err instanceof KvsNotFoundError, and err.code === 'KVS_NOT_FOUND'
      if (!isKvsError(err, 'KVS_NOT_FOUND')) throw err;
    }

    // Atomic operations, one round trip each on Redis:
    await store.setIfAbsent('lock:report', Buffer.from('worker-1'), 30_000); // true once
    await store.increment('hits', 1, 60_000); // creates the counter with a TTL
    await store.take('oauth-state:xyz'); // get + delete: one caller wins
    await store.close();
    // readme: end
    expect(data.toString()).toBe('{"name":"john"}');
    expect(keys).toEqual(['user:123']);
    await expect(createMemoryStore().get('x')).rejects.toBeInstanceOf(KvsNotFoundError);
  });

  it('typed views', async () => {
    // readme: typed
    interface User {
      name: string;
      roles: string[];
    }
    const users = createTypedStore<User>(createMemoryStore(), { prefix: 'user:' });
    await users.set('123', { name: 'john', roles: ['admin'] }, 60_000);
    const john = await users.get('123'); // User, JSON-decoded
    // readme: end
    expect(john).toEqual({ name: 'john', roles: ['admin'] });
  });
});
