/**
 * @CacheableMany on memory and on Redis: the method runs once with only the missing ids (and the
 * same other arguments), resolves in the ids' order or as a Map, shares entries with @Cacheable
 * when the keys match, and misuse fails with typed errors at definition or at call time.
 */
import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable, CacheableMany, defaultCacheKey } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { BACKENDS, closeApps } from '../cache.fixtures.js';
import { bootService, type User } from './batch.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

@Injectable()
class Users {
  readonly rows = new Map<string, User>([
    ['1', { id: '1', name: 'Ada' }],
    ['2', { id: '2', name: 'Grace' }],
  ]);
  readonly calls: unknown[][] = [];

  @CacheableMany({ key: (id: string) => `user:${id}` })
  async findByIds(ids: string[]): Promise<(User | null)[]> {
    this.calls.push(ids);
    return ids.map((id) => this.rows.get(id) ?? null);
  }

  @Cacheable({ key: (id: string) => `user:${id}` })
  async find(id: string): Promise<User | null> {
    this.calls.push([id]);
    return this.rows.get(id) ?? null;
  }

  @CacheableMany({
    key: (id: number, tenant: string) => `${tenant}:n:${id}`,
    returns: 'map',
    unless: (value: string, id: number) => id === 5 && value.length > 0,
  })
  async odd(ids: number[], tenant: string): Promise<Map<number, string>> {
    this.calls.push([ids, tenant]);
    return new Map(ids.filter((id) => id % 2 === 1).map((id) => [id, `${tenant}-${id}`]));
  }

  @CacheableMany()
  async labels(ids: string[], suffix: string): Promise<string[]> {
    this.calls.push([ids, suffix]);
    return ids.map((id) => `${id}${suffix}`);
  }

  @CacheableMany({ key: (id: string) => `short:${id}` })
  async tooFew(_ids: string[]): Promise<string[]> {
    return ['only one'];
  }

  @CacheableMany({ key: (id: string) => `map:${id}`, returns: 'map' })
  async notAMap(ids: string[]): Promise<Map<string, string>> {
    return ids as never;
  }
}

describe.each(BACKENDS)('@CacheableMany on %s', (backend) => {
  const start = async () => {
    const booted = await bootService(backend, redis.server.url, Users);
    return { ...booted, users: booted.service };
  };

  it('runs the method once with only the missing ids, and shares entries with @Cacheable', async () => {
    const { users, cache } = await start();
    await users.find('2');
    users.calls.length = 0;
    expect(await users.findByIds(['3', '2', '1', '3'])).toEqual([
      null,
      { id: '2', name: 'Grace' },
      { id: '1', name: 'Ada' },
      null,
    ]);
    expect(users.calls).toEqual([['3', '1']]);
    expect(await users.find('1')).toEqual({ id: '1', name: 'Ada' });
    expect(await users.findByIds(['1', '3'])).toEqual([{ id: '1', name: 'Ada' }, null]);
    expect(users.calls).toEqual([['3', '1']]);
    expect(cache.stats()).toMatchObject({ loads: 2 });
  });

  it("resolves a Map with returns: 'map', passing the other arguments along", async () => {
    const { users, cache } = await start();
    const first = await users.odd([1, 2, 3, 5], 'acme');
    expect([...first]).toEqual([
      [1, 'acme-1'],
      [3, 'acme-3'],
      [5, 'acme-5'],
    ]);
    const second = await users.odd([2, 3, 4, 5], 'acme');
    expect([...second]).toEqual([
      [3, 'acme-3'],
      [5, 'acme-5'],
    ]);
    expect(users.calls).toEqual([
      [[1, 2, 3, 5], 'acme'],
      [[4, 5], 'acme'],
    ]);
    expect(await cache.lookup('acme:n:2')).toEqual({ value: undefined });
    expect(await cache.lookup('acme:n:5')).toBeUndefined();
  });

  it('keys each id by the method and all its arguments by default', async () => {
    const { users, cache } = await start();
    expect(await users.labels(['a', 'b'], '!')).toEqual(['a!', 'b!']);
    expect(await users.labels(['a'], '?')).toEqual(['a?']);
    expect(await cache.get(defaultCacheKey('Users.labels', ['a', '!']))).toBe('a!');
    expect(users.calls).toEqual([
      [['a', 'b'], '!'],
      [['a'], '?'],
    ]);
  });

  it('fails a call whose ids are not an array, or whose result does not fit', async () => {
    const { users, cache } = await start();
    await expect(users.findByIds('1' as never)).rejects.toMatchObject({
      code: 'KVS_INVALID_ARGUMENT',
      message: expect.stringContaining(
        'Users.findByIds (@CacheableMany) was called with a string (1 char) as its first argument; it takes an array of ids',
      ),
    });
    await expect(users.tooFew(['a', 'b'])).rejects.toThrow(
      'The loader of Users.tooFew resolved 1 value for 2 missing keys',
    );
    await expect(users.notAMap(['a'])).rejects.toThrow(
      "Users.notAMap resolved an array of 1, but @CacheableMany({ returns: 'map' }) needs a Map",
    );
    expect(await cache.lookup('short:a')).toBeUndefined();
    expect(await cache.lookup('map:a')).toBeUndefined();
  });
});

describe('@CacheableMany definitions', () => {
  it('refuses a method whose first parameter is declared as something other than an array', () => {
    expect(() => {
      class Wrong {
        // @ts-expect-error the compiler refuses it too: the first parameter is not an array
        @CacheableMany()
        async find(id: string): Promise<string[]> {
          return [id];
        }
      }
      return Wrong;
    }).toThrow(
      '@CacheableMany() on Wrong.find: the first parameter is declared as String, but the decorator passes it the array of missing ids',
    );
  });

  it('refuses a string key and an unknown returns', () => {
    expect(() => CacheableMany({ key: 'user' as never })).toThrow(
      'every id needs a key of its own',
    );
    expect(() => CacheableMany({ returns: 'set' as never })).toThrow(
      "Invalid @CacheableMany() option returns: expected 'array' or 'map'",
    );
    expect(() => CacheableMany({ lock: true } as never)).toThrow(
      /'lock' is an option of .*not of the @CacheableMany\(\) options/,
    );
  });
});
