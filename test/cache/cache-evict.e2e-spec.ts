/**
 * @CacheEvict, @CachePut and the programmatic KvsCache, over memory and a real redis-server:
 * each removes or writes exactly what it names, and never data outside its namespace.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { inspect } from 'node:util';
import {
  Cacheable,
  CacheEvict,
  CachePut,
  KvsCacheModule,
  KvsInvalidArgumentError,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { BACKENDS, boot, closeApps, deferred, type Backend } from './cache.fixtures.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
}, 30_000);
afterEach(() => closeApps());
afterAll(() => stopAll(), 30_000);

interface User {
  id: string;
  name: string;
}

@Injectable()
class UserService {
  readonly db = new Map<string, User>([['1', { id: '1', name: 'Ada' }]]);
  loads = 0;
  gate: Promise<void> | undefined;

  @Cacheable({ key: (id: string) => `user:${id}` })
  async find(id: string): Promise<User | null> {
    this.loads++;
    const user = this.db.get(id) ?? null;
    await this.gate;
    return user;
  }

  @Cacheable({ key: (id: string) => `orders:${id}`, namespace: 'shop' })
  async orders(id: string): Promise<string[]> {
    this.loads++;
    return [`order-of-${id}`];
  }

  @CachePut({ key: (user: User) => `user:${user.id}` })
  async save(user: User): Promise<User> {
    this.db.set(user.id, user);
    return { ...user };
  }

  @CacheEvict({ key: (id: string) => `user:${id}` })
  async rename(id: string, name: string): Promise<void> {
    if (!this.db.has(id)) throw new Error(`no user ${id}`);
    this.db.set(id, { id, name });
  }

  @CacheEvict({ key: (id: string) => `user:${id}`, beforeInvocation: true })
  async removeFirst(id: string): Promise<void> {
    throw new Error(`cannot remove ${id}`);
  }

  @CacheEvict({ key: (...ids: string[]) => ids.map((id) => `user:${id}`) })
  async touchMany(..._ids: string[]): Promise<void> {}

  @CacheEvict({ prefix: 'user:' })
  async reloadUsers(): Promise<void> {}

  @CacheEvict({ allEntries: true })
  async reset(): Promise<void> {}
}

describe.each(BACKENDS)('evict and put (%s)', (backend: Backend) => {
  const start = () => boot({ backend, url: server.url, providers: [UserService] });

  it('@CacheEvict removes the key after the method succeeds, and not when it throws', async () => {
    const { app } = await start();
    const users = app.get(UserService);
    expect(await users.find('1')).toEqual({ id: '1', name: 'Ada' });
    await users.rename('1', 'Grace');
    expect(await users.find('1')).toEqual({ id: '1', name: 'Grace' });
    expect(users.loads).toBe(2);
    await expect(users.rename('9', 'nobody')).rejects.toThrow('no user 9');
    await users.find('1');
    expect(users.loads).toBe(2);
  });

  it('beforeInvocation evicts even when the method then throws', async () => {
    const { app } = await start();
    const users = app.get(UserService);
    await users.find('1');
    await expect(users.removeFirst('1')).rejects.toThrow('cannot remove 1');
    await users.find('1');
    expect(users.loads).toBe(2);
  });

  it('evicts several keys returned by the key function', async () => {
    const { app, store } = await start();
    const users = app.get(UserService);
    users.db.set('2', { id: '2', name: 'Bob' });
    await users.find('1');
    await users.find('2');
    await users.touchMany('1', '2', '3');
    expect(await store.list('cache:')).toEqual([]);
  });

  it('@CachePut stores the result, so the reader hits without loading', async () => {
    const { app } = await start();
    const users = app.get(UserService);
    await users.save({ id: '5', name: 'Linus' });
    expect(await users.find('5')).toEqual({ id: '5', name: 'Linus' });
    expect(users.loads).toBe(0);
  });

  it('prefix and allEntries remove the namespace entries and nothing else', async () => {
    const { app, store, cache } = await start();
    const users = app.get(UserService);
    const other = Buffer.from('keep me');
    for (const key of ['cached-elsewhere', 'cache2:user:1', 'cachex', 'session:1']) {
      await store.set(key, other);
    }
    await users.find('1');
    await users.orders('1');
    await cache.set('config', { a: 1 });
    await users.reloadUsers();
    expect(await store.list('cache:')).toEqual(['cache:config']);
    await users.find('1');
    await users.reset();
    expect(await store.list()).toEqual([
      'cache2:user:1',
      'cached-elsewhere',
      'cachex',
      'session:1',
      'shop:orders:1',
    ]);
    expect(await cache.evictNamespace({ namespace: 'shop' })).toBe(1);
    expect(await store.list()).toHaveLength(4);
    expect(cache.stats().evictions).toBe(4);
  });

  it('removes many entries in batches', async () => {
    const { store, cache } = await start();
    for (let i = 0; i < 1234; i++) await cache.set(`bulk:${i}`, i);
    await store.set('outside', Buffer.from('x'));
    expect(await cache.deletePrefix('bulk:')).toBe(1234);
    expect(await store.list()).toEqual(['outside']);
  });

  it('an eviction during a load keeps that load from writing its stale result back', async () => {
    const { app, store } = await start();
    const users = app.get(UserService);
    const gate = deferred();
    users.gate = gate.promise;
    const pending = users.find('1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await users.rename('1', 'Grace');
    gate.resolve();
    expect(await pending).toEqual({ id: '1', name: 'Ada' });
    expect(await store.has('cache:user:1')).toBe(false);
    users.gate = undefined;
    expect(await users.find('1')).toEqual({ id: '1', name: 'Grace' });
  });
});

describe.each(BACKENDS)('KvsCache (%s)', (backend: Backend) => {
  it('wrap() caches a function with the same semantics as @Cacheable', async () => {
    const { cache } = await boot({ backend, url: server.url });
    let runs = 0;
    const load = async () => {
      runs++;
      return { at: new Date(0), runs };
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.wrap('report', load)));
    expect(runs).toBe(1);
    expect(await cache.wrap('report', load)).toEqual({ at: new Date(0), runs: 1 });
    expect(await cache.wrap('nothing', async () => null)).toBeNull();
    expect(await cache.wrap('nothing', async () => 'other')).toBeNull();
    expect(await cache.wrap('vetoed', async () => 1, { unless: (n) => n === 1 })).toBe(1);
    expect(await cache.lookup('vetoed')).toBeUndefined();
    await expect(
      cache.wrap('err', async () => Promise.reject(new RangeError('x'))),
    ).rejects.toThrow(RangeError);
    expect(results[0]).not.toBe(results[1]);
  });

  it('get, lookup, set and delete tell a cached undefined from a miss', async () => {
    const { cache, store } = await boot({ backend, url: server.url });
    expect(await cache.set('u', undefined, { ttl: 1_000 })).toBe(true);
    expect(await cache.lookup('u')).toEqual({ value: undefined });
    expect(await cache.lookup('missing')).toBeUndefined();
    await cache.set('map', new Map([[1, 2n]]), { namespace: 'other' });
    expect(await cache.get('map', { namespace: 'other' })).toEqual(new Map([[1, 2n]]));
    expect(await store.list()).toEqual(['cache:u', 'other:map']);
    expect(await cache.delete(['u', 'missing'])).toBe(1);
    expect(await cache.get('u')).toBeUndefined();
  });

  it('rejects invalid arguments with KvsInvalidArgumentError naming the fix', async () => {
    const { cache } = await boot({ backend, url: server.url });
    await expect(cache.wrap('', async () => 1)).rejects.toThrow(KvsInvalidArgumentError);
    await expect(cache.set('k', 1, { ttl: -1 })).rejects.toThrow(/ttl.*>= 0/);
    await expect(cache.get('k', { store: 'nope' })).rejects.toThrow(/no store named "nope"/);
    await expect(cache.deletePrefix('')).rejects.toThrow(/evictNamespace|non-empty/);
  });
});

describe('decorator options are checked when the class is defined', () => {
  it('rejects bad options and decorating a static method', () => {
    expect(() => Cacheable({ ttl: NaN })).toThrow(/@Cacheable\(\) option ttl/);
    expect(() => Cacheable({ ttl: 0, staleTtl: 10 })).toThrow(/staleTtl 10 needs a ttl > 0/);
    expect(() => CacheEvict({})).toThrow(/exactly one of key, prefix or allEntries/);
    expect(() => CacheEvict({ key: 'a', allEntries: true })).toThrow(/got key and allEntries/);
    expect(() => CachePut({} as never)).toThrow(/@CachePut\(\) option key/);
    expect(() => {
      class Static {
        @Cacheable()
        static async load(): Promise<number> {
          return 1;
        }
      }
      return Static;
    }).toThrow(/instance methods only/);
  });

  it('names a rejected string by its length, never by its content (it may be a secret)', () => {
    const secret = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
    const attempts = [
      () => Cacheable({ ttl: secret as unknown as number }),
      () => CachePut({ key: 'k', cacheNull: secret as unknown as boolean }),
      () => KvsCacheModule.forRoot({ timeout: secret as unknown as number }),
    ];
    for (const attempt of attempts) {
      const err = catchError(attempt);
      expect(err).toBeInstanceOf(KvsInvalidArgumentError);
      expect(err.message).toContain('got a string (32 chars)');
      expect(inspect(err, { depth: Infinity })).not.toContain(secret);
    }
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
