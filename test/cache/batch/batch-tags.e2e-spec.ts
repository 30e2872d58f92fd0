/**
 * Batches and tags on memory and on Redis: a batch checks the tags of the tagged entries it reads
 * (those a tagged `wrap` or `@Cacheable` wrote under the same keys), so an invalidated entry is
 * loaded again, never served; and the batch's own `tags` and `resultTags`.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KvsCacheModuleOptions } from '../../../lib/index.js';
import { useRedisServer } from '../../support/backends.js';
import { BACKENDS, boot, closeApps } from '../cache.fixtures.js';

const redis = useRedisServer();
afterEach(closeApps);

/** A loader that records its calls and answers `<round>:<key>`. */
function loader(round: string) {
  const calls: string[][] = [];
  const load = async (missing: string[]): Promise<string[]> => {
    calls.push(missing);
    return missing.map((key) => `${round}:${key}`);
  };
  return { calls, load };
}

describe.each(BACKENDS)('wrapMany and tagged entries on %s', (backend) => {
  // A store step that outlives the cache's 150 ms on a loaded machine would skip a write.
  const start = (cache: KvsCacheModuleOptions = {}) =>
    boot({ backend, url: redis.server.url, cache: { timeout: '5s', ...cache } });

  it('loads again an entry a tagged wrap() wrote once one of its tags is invalidated', async () => {
    const { cache } = await start();
    await cache.wrap('user:1', () => 'old:user:1', { tags: ['user:1', 'users'] });
    await cache.wrap('user:2', () => 'old:user:2', { tags: ['user:2', 'users'] });
    await cache.wrap('card:1', () => 'old:card:1', { resultTags: () => ['user:1'] });
    await cache.invalidateTags('user:1');
    cache.resetStats();
    const next = loader('new');
    expect(await cache.wrapMany(['user:1', 'user:2', 'card:1', 'user:3'], next.load)).toEqual([
      'new:user:1',
      'old:user:2',
      'new:card:1',
      'new:user:3',
    ]);
    expect(next.calls).toEqual([['user:1', 'card:1', 'user:3']]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3 });

    await cache.invalidateTags('users');
    const last = loader('last');
    // The batch stored its values untagged: only user:2 still carries 'users'.
    expect(await cache.wrapMany(['user:1', 'user:2', 'card:1'], last.load)).toEqual([
      'new:user:1',
      'last:user:2',
      'new:card:1',
    ]);
    expect(last.calls).toEqual([['user:2']]);
  });
});

describe.each(BACKENDS)('wrapMany with tags on %s', (backend) => {
  const start = (cache: KvsCacheModuleOptions = {}) =>
    boot({ backend, url: redis.server.url, cache: { timeout: '5s', ...cache } });

  it('tags each entry from its key; an invalidation reloads only the keys it concerns', async () => {
    const { cache } = await start();
    const tags = (key: string) => [key, 'users'];
    await cache.wrapMany(['user:1', 'user:2', 'user:3'], loader('old').load, { tags });
    await cache.invalidateTags('user:2');
    const next = loader('new');
    expect(await cache.wrapMany(['user:1', 'user:2', 'user:3'], next.load, { tags })).toEqual([
      'old:user:1',
      'new:user:2',
      'old:user:3',
    ]);
    expect(next.calls).toEqual([['user:2']]);
    // A tagged wrap() of the same key reads the batch's entry; a shared tag drops them all.
    expect(await cache.wrap('user:1', () => 'unused', { tags: ['user:1'] })).toBe('old:user:1');
    await cache.invalidateTags(['users']);
    expect(await cache.wrapMany(['user:1', 'user:3'], loader('last').load)).toEqual([
      'last:user:1',
      'last:user:3',
    ]);
  });

  it('takes a fixed array of tags, and tags from each loaded value', async () => {
    const { cache } = await start();
    const team = (key: string) => (key === 'm:3' ? 'team:9' : 'team:7');
    const load = async (missing: string[]) => missing.map((key) => ({ key, team: team(key) }));
    const options = {
      tags: ['members'],
      resultTags: (member: { team: string }, key: string) => [member.team, `member:${key}`],
    };
    const keys = ['m:1', 'm:2', 'm:3'];
    await cache.wrapMany(keys, load, options);
    await cache.invalidateTags('team:7');
    const calls: string[][] = [];
    const values = await cache.wrapMany(
      keys,
      async (missing) => {
        calls.push(missing);
        return load(missing);
      },
      options,
    );
    expect(values.map((member) => member.key)).toEqual(keys);
    expect(calls).toEqual([['m:1', 'm:2']]);
    await cache.invalidateTags('members');
    expect(await cache.lookup('m:3')).toBeUndefined();
  });

  it('stores nothing when its tags are invalidated while it loads', async () => {
    const { cache } = await start();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const loading = new Promise<void>((resolve) => (started = resolve));
    const pending = cache.wrapMany(
      ['a', 'b'],
      async (missing) => {
        started();
        await gate;
        return missing.map((key) => `early:${key}`);
      },
      { tags: (key) => [`t:${key}`] },
    );
    await loading;
    await cache.invalidateTags('t:a');
    release();
    expect(await pending).toEqual(['early:a', 'early:b']);
    expect(await cache.lookup('a')).toBeUndefined();
    expect(await cache.lookup('b')).toEqual({ value: 'early:b' });
  });

  it('chooses each entry’s ttl from its value and key', async () => {
    const { cache, store } = await start();
    const ttl = (value: string, key: string) => (key === 'short' ? '1m' : value.length * 60_000);
    await cache.wrapMany(['short', 'long'], async () => ['x', 'xxxxxxxxxx'], { ttl });
    const left = await Promise.all([store.ttl('cache:short'), store.ttl('cache:long')]);
    expect(left[0]).toBeGreaterThan(30_000);
    expect(left[0]).toBeLessThanOrEqual(60_000);
    expect(left[1]).toBeGreaterThan(300_000);
    expect(left[1]).toBeLessThanOrEqual(600_000);
    const bad = cache.wrapMany(['k'], async () => [1], { ttl: () => -1 });
    await expect(bad).rejects.toThrow(/The ttl function of KvsCache.wrapMany\(\) returned -1/);
    expect(await cache.lookup('k')).toBeUndefined();
  });

  it('names what is wrong with bad tags', async () => {
    const { cache } = await start();
    const load = async (missing: string[]) => missing;
    await expect(cache.wrapMany(['a'], load, { tags: 'a' as never })).rejects.toMatchObject({
      code: 'KVS_INVALID_ARGUMENT',
      message: expect.stringContaining('option tags: expected an array of tags'),
    });
    await expect(cache.wrapMany(['a'], load, { tags: () => [''] })).rejects.toThrow(
      /The tags function of KvsCache.wrapMany\(\) returned/,
    );
    await expect(cache.wrapMany(['a'], load, { resultTags: 'x' as never })).rejects.toThrow(
      /resultTags/,
    );
  });
});
