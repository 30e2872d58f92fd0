/**
 * Compile-time checks of batch caching's typing (run by `npm run lint`'s tsc, not by Jest): the
 * decorated method takes an array of ids first and resolves an array (or a Map with
 * `returns: 'map'`), key/unless functions fit it, and wrapMany's result follows its loader's.
 */
import { CacheableMany, type KvsCache } from '../../../lib/index.js';

export class BatchTyping {
  @CacheableMany({ key: (id: string, tenant: string) => `${tenant}:${id}` })
  async withRest(ids: string[], tenant: string): Promise<string[]> {
    return ids.map((id) => `${tenant}/${id}`);
  }

  @CacheableMany({ key: (id: number) => String(id), returns: 'map' })
  async asMap(ids: number[]): Promise<Map<number, string>> {
    return new Map(ids.map((id) => [id, String(id)]));
  }

  @CacheableMany({ unless: (value: string | null, id: string) => value === null && id !== '' })
  async nullable(ids: string[]): Promise<(string | null)[]> {
    return ids.map(() => null);
  }

  @CacheableMany({
    key: (id: string, tenant: string) => `${tenant}:${id}`,
    tags: (id: string, tenant: string) => [`tenant:${tenant}`, id],
    resultTags: (value: string) => [value],
    ttl: (value: string, id) => (value === id ? '1m' : 60_000),
  })
  async tagged(ids: string[], tenant: string): Promise<string[]> {
    return ids.map((id) => `${tenant}/${id}`);
  }

  // @ts-expect-error the tags function's id does not fit the method's ids
  @CacheableMany({ tags: (id: number) => [String(id)] })
  async wrongTagId(ids: string[]): Promise<string[]> {
    return ids;
  }

  // @ts-expect-error the key function's id does not fit the method's ids
  @CacheableMany({ key: (id: number) => String(id) })
  async wrongId(ids: string[]): Promise<string[]> {
    return ids;
  }

  // @ts-expect-error returns: 'map' needs a method resolving a Map
  @CacheableMany({ key: (id: string) => id, returns: 'map' })
  async arrayForMap(ids: string[]): Promise<string[]> {
    return ids;
  }

  // @ts-expect-error without returns: 'map', the method resolves an array
  @CacheableMany({ key: (id: string) => id })
  async mapForArray(ids: string[]): Promise<Map<string, string>> {
    return new Map(ids.map((id) => [id, id]));
  }
}

export async function wrapManyTyping(cache: KvsCache): Promise<void> {
  const fromArray: number[] = await cache.wrapMany(['a'], async (missing) => missing.map(Number));
  const fromMap: (number | undefined)[] = await cache.wrapMany(
    ['a'],
    async (missing) => new Map(missing.map((key) => [key, 1])),
  );
  // @ts-expect-error a Map loader may leave keys without a value
  const notAllThere: number[] = await cache.wrapMany(['a'], async () => new Map([['a', 1]]));
  const tagged: string[] = await cache.wrapMany(['a'], async (missing) => missing, {
    tags: (key) => [key],
    resultTags: (value, key) => [value.toUpperCase(), key],
    ttl: (value, key) => (value === key ? '1m' : 5_000),
    hardTimeout: '2s',
  });
  // @ts-expect-error a ttl function returns a duration
  await cache.wrapMany(['a'], async () => [1], { ttl: () => true });
  // @ts-expect-error wrapMany takes no lock
  await cache.wrapMany(['a'], async () => [1], { lock: true });
  void [fromArray, fromMap, notAllThere, tagged];
}
