import { checkCacheableOptions } from '../cache.method-options.js';
import type { CacheableOptions } from '../cache.options.js';
import { replaceMethod, type CacheMethodDecorator } from './cache-method.decorator.js';

/**
 * Caches the result of a Promise-returning method of any provider or controller, keyed by its
 * arguments. A cached `null`/`undefined` is a hit; concurrent misses of one key run the method
 * once; errors of the method propagate and are never cached; a failing store never fails the call.
 *
 * ```ts
 * @Cacheable({ ttl: 30_000, key: (id: string) => `user:${id}` })
 * findUser(id: string): Promise<User | null> { ... }
 * ```
 */
export function Cacheable<A extends unknown[] = never[], R = unknown>(
  options: CacheableOptions<A, R> = {},
): CacheMethodDecorator<A, R> {
  const stored = checkCacheableOptions(options);
  return (target, propertyKey, descriptor) =>
    replaceMethod('cacheable', 'Cacheable', stored, target, propertyKey, descriptor);
}
