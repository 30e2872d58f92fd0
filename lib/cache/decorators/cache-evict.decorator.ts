import { checkCacheEvictOptions } from '../cache.method-options.js';
import type { CacheEvictOptions } from '../cache.options.js';
import { replaceMethod, type CacheMethodDecorator } from './cache-method.decorator.js';

/**
 * Removes cache entries when the method succeeds (or before it runs, with `beforeInvocation`):
 * `@CacheEvict({ key: (id: string) => \`user:${id}\` })`. A failing store never fails the call.
 */
export function CacheEvict<A extends unknown[] = never[]>(
  options: CacheEvictOptions<A>,
): CacheMethodDecorator<A, unknown> {
  const stored = checkCacheEvictOptions(options);
  return (target, propertyKey, descriptor) =>
    replaceMethod('evict', 'CacheEvict', stored, target, propertyKey, descriptor);
}
