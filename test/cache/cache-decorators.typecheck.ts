/**
 * Compile-time checks of the decorators' typing (run by `npm run lint`'s tsc, not by Jest): a
 * decorated method must return a Promise, and key/condition/unless functions must fit it.
 */
import { Cacheable, CacheEvict, CachePut } from '../../lib/index.js';

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
}
