import { checkCachePutOptions } from '../cache.method-options.js';
import type { CachePutOptions } from '../cache.options.js';
import { replaceMethod, type CacheMethodDecorator } from './cache-method.decorator.js';

/**
 * Always runs the method and stores its result under `key`, for the `@Cacheable` methods (or
 * `wrap` calls) that read that key: `@CachePut({ key: (u: User) => \`user:${u.id}\` })`.
 */
export function CachePut<A extends unknown[] = never[], R = unknown>(
  options: CachePutOptions<A, R>,
): CacheMethodDecorator<A, R> {
  const stored = checkCachePutOptions(options);
  return (target, propertyKey, descriptor) =>
    replaceMethod('put', 'CachePut', stored, target, propertyKey, descriptor);
}
