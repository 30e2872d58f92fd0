import type { StoredMethodOptions } from './cache.invoker.js';
import { replaceMethod, type CacheMethodDecorator } from './cache.method.js';
import { checkEntryOptions, type KvsCacheLoadOptions } from './cache.options.js';
import { checkFunction, checkKeyOption } from './cache.validation.js';

/**
 * Options of {@link Cacheable}. Annotate the parameters of `key`, `condition` and `unless` with
 * the method's parameter types: `key: (id: string) => \`user:${id}\``.
 */
export interface CacheableOptions<
  A extends unknown[] = never[],
  R = unknown,
> extends KvsCacheLoadOptions {
  /** The key (within the namespace): a string, or a function of the arguments. Default `<Class>.<method>:<hash of the arguments>`. */
  key?: string | ((...args: A) => string);
  /** Checked before the call: when false, the method runs without the cache (no read, no write). */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is returned but not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

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
  const where = '@Cacheable()';
  checkEntryOptions(where, options);
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const stored = { ...options } as StoredMethodOptions;
  return (target, propertyKey, descriptor) =>
    replaceMethod('cacheable', 'Cacheable', stored, target, propertyKey, descriptor);
}
