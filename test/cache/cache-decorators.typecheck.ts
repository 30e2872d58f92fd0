/**
 * Compile-time checks of the decorators' typing (run by `npm run lint`'s tsc, not by Jest): a
 * decorated method must return a Promise, and key/condition/unless functions must fit it.
 */
import {
  Cacheable,
  CacheEvict,
  CachePut,
  KvsCacheModule,
  type KvsCache,
  type KvsCacheModuleOptions,
} from '../../lib/index.js';

export class DecoratorTyping {
  @Cacheable()
  async defaultKey(id: string, n: number): Promise<number> {
    return n + id.length;
  }

  @Cacheable({ key: (id: string) => id, condition: (id: string) => id !== '' })
  async leadingArguments(id: string, n: number): Promise<number> {
    return n + id.length;
  }

  @CacheEvict({ key: (id: string) => [id, `${id}:details`] })
  async evict(_id: string, _name: string): Promise<void> {}

  @CachePut({ key: (user: { id: string }) => user.id })
  async put(user: { id: string }): Promise<{ id: string }> {
    return user;
  }

  @Cacheable({ unless: (result: number | null) => result === null })
  async nullable(): Promise<number | null> {
    return null;
  }

  // @ts-expect-error the key function's parameter does not fit the method's
  @Cacheable({ key: (id: number) => String(id) })
  async wrongKey(id: string): Promise<string> {
    return id;
  }

  // @ts-expect-error the method does not return a Promise
  @Cacheable()
  notAsync(): number {
    return 1;
  }

  // @ts-expect-error unless expects another result type
  @Cacheable({ unless: (result: string) => result === '' })
  async wrongResult(): Promise<number> {
    return 1;
  }

  @Cacheable({ ttl: '1h', staleTtl: '5m', timeout: 150 })
  async durations(): Promise<number> {
    return 1;
  }

  @Cacheable({ key: (id: string) => id, ttl: (rows: number[]) => (rows.length ? '1h' : '10s') })
  async ttlFromResult(_id: string): Promise<number[]> {
    return [];
  }

  // @ts-expect-error the ttl function expects another result type
  @Cacheable({ ttl: (result: string) => result.length })
  async wrongTtlResult(): Promise<number> {
    return 1;
  }

  @Cacheable({ grace: '6h', graceBackoff: '30s', softTimeout: '200ms', hardTimeout: '2s' })
  async graced(): Promise<number> {
    return 1;
  }

  // @ts-expect-error a duration's unit must be ms, s, m, h or d
  @Cacheable({ ttl: '5mins' })
  async durationTypo(): Promise<number> {
    return 1;
  }

  // @ts-expect-error the same on @CacheEvict
  @CacheEvict({ allEntries: true, timeout: '1 sec' })
  async evictTypo(): Promise<void> {}
}

/** Durations on the module and on KvsCache.wrap; a unit typo does not compile there either. */
export const moduleDurations: KvsCacheModuleOptions = {
  ttl: '1m',
  lockTtl: '10s',
  lockWait: '5s',
  logInterval: '1 m',
};
KvsCacheModule.forRoot({ ttl: '1d', timeout: '150ms' });
// @ts-expect-error '10 secs' is not a duration
KvsCacheModule.forRoot({ staleTtl: '10 secs' });

export async function wrapDurations(cache: KvsCache): Promise<number> {
  // @ts-expect-error 'hour' is not a unit
  await cache.wrap('a', () => 1, { ttl: '1hour' });
  return cache.wrap('b', () => 1, { ttl: '1h', staleTtl: '10m' });
}
