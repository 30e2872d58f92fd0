/**
 * Cache tags on memory and on Redis: invalidateTags drops every entry carrying a tag and nothing
 * else, for tags from the arguments, given to wrap/set, or chosen from the result; a load in
 * flight during an invalidation stores nothing; @CacheEvict({ tags }); bad input.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CacheEvict, Cacheable, KvsInvalidArgumentError } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { boot, closeApps, deferred, until, type Backend, type Booted } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

interface Post {
  id: string;
  author: string;
  title: string;
}

@Injectable()
class Posts {
  loads = 0;
  readonly rows = new Map<string, Post>([
    ['p1', { id: 'p1', author: 'ann', title: 'one' }],
    ['p2', { id: 'p2', author: 'bob', title: 'two' }],
  ]);

  @Cacheable({ key: (id: string) => `post:${id}`, tags: (id: string) => [`post:${id}`, 'posts'] })
  async post(id: string): Promise<Post | undefined> {
    this.loads++;
    return { ...this.rows.get(id)! };
  }

  @Cacheable({
    key: (id: string) => `byline:${id}`,
    resultTags: (post: Post) => [`author:${post.author}`],
  })
  async byline(id: string): Promise<Post> {
    this.loads++;
    return { ...this.rows.get(id)! };
  }

  @CacheEvict({ tags: (id: string) => [`post:${id}`] })
  async rename(id: string, title: string): Promise<void> {
    this.rows.get(id)!.title = title;
  }

  @CacheEvict({ tags: ['posts'] })
  async publishAll(): Promise<void> {}
}

const BACKENDS: Backend[] = ['memory', 'redis'];

describe.each(BACKENDS)('tags on %s', (backend) => {
  beforeEach(() => redis.flush());

  const start = (): Promise<Booted> =>
    boot({ backend, url: redis.server.url, cache: { timeout: '5s' }, providers: [Posts] });

  it('invalidateTags drops every entry carrying the tag, and only those', async () => {
    const { cache } = await start();
    let loads = 0;
    const load = (key: string, tags: string[]) =>
      cache.wrap(key, () => `${key}#${++loads}`, { tags });
    for (let i = 0; i < 20; i++) await load(`a:${i}`, ['team:a', `item:${i}`]);
    await load('b:0', ['team:b']);
    await load('none', []);
    expect(loads).toBe(22);
    expect(await cache.invalidateTags('team:a')).toBe(true);
    expect(await load('b:0', ['team:b'])).toBe('b:0#21');
    expect(await load('none', [])).toBe('none#22');
    expect(await load('a:3', ['team:a', 'item:3'])).toBe('a:3#23');
    expect(await load('a:3', ['team:a', 'item:3'])).toBe('a:3#23');
    expect(await cache.get('a:4')).toBeUndefined();
    expect(cache.stats().tagInvalidations).toBe(1);
  });

  it("a hit checks the entry's own tags: another order, non-ASCII tags, tags the call lacks", async () => {
    const { cache } = await start();
    let loads = 0;
    const load = (key: string, tags: string[]) => cache.wrap(key, () => ++loads, { tags });
    expect(await load('order', ['b', 'a'])).toBe(1);
    expect(await load('order', ['a', 'b'])).toBe(1);
    expect(await load('accents', ['équipe:1', 'ünï:2'])).toBe(2);
    expect(await load('accents', ['équipe:1', 'ünï:2'])).toBe(2);
    expect(await load('other', ['x:1', 'shared'])).toBe(3);
    expect(await load('other', ['x:2', 'shared'])).toBe(3); // x:1 is read after the entry
    await cache.invalidateTags(['a', 'ünï:2', 'x:2']);
    expect(await load('order', ['b', 'a'])).toBe(4);
    expect(await load('accents', ['équipe:1', 'ünï:2'])).toBe(5);
    expect(await load('other', ['x:2', 'shared'])).toBe(3); // x:2 is not a tag of that entry
    await cache.invalidateTags('x:1');
    expect(await load('other', ['x:2', 'shared'])).toBe(6);
    expect(await load('other', ['x:2', 'shared'])).toBe(6);
  });

  it('checks the tags of an entry read without them (get, lookup, set with tags)', async () => {
    const { cache } = await start();
    expect(await cache.set('profile:1', { name: 'ann' }, { tags: ['user:1'] })).toBe(true);
    expect(await cache.get('profile:1')).toEqual({ name: 'ann' });
    expect(await cache.wrap('profile:1', () => 'unused')).toEqual({ name: 'ann' });
    await cache.invalidateTags(['user:2']);
    expect(await cache.lookup('profile:1')).toEqual({ value: { name: 'ann' } });
    await cache.invalidateTags(['user:1', 'user:3']);
    expect(await cache.lookup('profile:1')).toBeUndefined();
    expect(await cache.wrap('profile:1', () => 'reloaded')).toBe('reloaded');
  });

  it('@Cacheable tags from the arguments, and @CacheEvict with functions and arrays', async () => {
    const { app } = await start();
    const posts = app.get(Posts);
    expect((await posts.post('p1'))?.title).toBe('one');
    await posts.post('p2');
    await posts.post('p1');
    expect(posts.loads).toBe(2);
    await posts.rename('p1', 'uno');
    expect((await posts.post('p1'))?.title).toBe('uno');
    expect(posts.loads).toBe(3);
    await posts.post('p2');
    expect(posts.loads).toBe(3);
    await posts.publishAll();
    await posts.post('p1');
    await posts.post('p2');
    expect(posts.loads).toBe(5);
  });

  it('tags chosen from the result', async () => {
    const { app, cache } = await start();
    const posts = app.get(Posts);
    await posts.byline('p1');
    await posts.byline('p2');
    await posts.byline('p1');
    expect(posts.loads).toBe(2);
    await cache.invalidateTags('author:ann');
    await posts.byline('p1');
    await posts.byline('p2');
    expect(posts.loads).toBe(3);
  });

  it('a load in flight during invalidateTags is neither stored nor joined', async () => {
    const { cache } = await start();
    const gate = deferred<string>();
    let started = false;
    const first = cache.wrap(
      'slow',
      () => {
        started = true;
        return gate.promise;
      },
      { tags: ['t'] },
    );
    await until(() => started);
    await cache.invalidateTags('t');
    const second = cache.wrap('slow', () => 'after', { tags: ['t'] });
    gate.resolve('before');
    expect(await first).toBe('before');
    expect(await second).toBe('after');
    expect(await cache.wrap('slow', () => 'unused', { tags: ['t'] })).toBe('after');
  });

  it('a load whose result tags are invalidated meanwhile stores nothing (the epoch moved)', async () => {
    const { cache } = await start();
    const gate = deferred<{ owner: string }>();
    let started = false;
    const resultTags = (doc: { owner: string }) => [`owner:${doc.owner}`];
    const first = cache.wrap(
      'doc',
      () => {
        started = true;
        return gate.promise;
      },
      { resultTags },
    );
    await until(() => started);
    // Another tag: the load could not know which tags its result would carry.
    await cache.invalidateTags('owner:zed');
    gate.resolve({ owner: 'ann' });
    expect(await first).toEqual({ owner: 'ann' });
    expect(await cache.get('doc')).toBeUndefined();
    expect(await cache.wrap('doc', async () => ({ owner: 'ann' }), { resultTags })).toEqual({
      owner: 'ann',
    });
    expect(await cache.get('doc')).toEqual({ owner: 'ann' });
  });

  it('rejects bad tags with a typed error naming the fix', async () => {
    const { cache } = await start();
    const wrap = (options: object) => cache.wrap('k', () => 1, options);
    await expect(wrap({ tags: 'user:1' })).rejects.toThrow(
      /Invalid KvsCache.wrap\(\) option tags: expected an array of tags such as \['user:42'\], got/,
    );
    await expect(wrap({ tags: ['ok', 7] })).rejects.toThrow(
      /Invalid tag at index 1 of KvsCache.wrap\(\) option tags: expected a non-empty string/,
    );
    await expect(wrap({ tags: [''] })).rejects.toBeInstanceOf(KvsInvalidArgumentError);
    await expect(wrap({ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) })).rejects.toThrow(
      /65 tags, more than the limit of 64/,
    );
    await expect(wrap({ resultTags: ['x'] })).rejects.toThrow(
      /option resultTags: expected a function/,
    );
    await expect(cache.wrap('k', () => 1, { resultTags: () => 'x' as never })).rejects.toThrow(
      /The resultTags function of KvsCache.wrap\(\) returned a string \(1 char\); it must return an array of tags/,
    );
    await expect(cache.invalidateTags([undefined as never])).rejects.toMatchObject({
      code: 'KVS_INVALID_ARGUMENT',
    });
    await expect(cache.invalidateTags(42 as never)).rejects.toThrow(
      /expected a tag or an array of tags/,
    );
    expect(() => Cacheable({ tags: [1 as never] })).toThrow(/Invalid tag at index 0 of @Cacheable/);
    expect(() => CacheEvict({ tags: 'x' as never })).toThrow(/@CacheEvict\(\) option tags/);
    expect(await cache.invalidateTags([])).toBe(true);
  });
});
