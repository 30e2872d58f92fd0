import type { StoredMethodOptions } from './cache.invoker.js';
import { replaceMethod, type CacheMethodDecorator } from './cache.method.js';
import { checkEntryOptions, type KvsCacheEntryOptions } from './cache.options.js';
import { checkFunction, checkKeyOption, reject } from './cache.validation.js';

/** Options of {@link CachePut}. */
export interface CachePutOptions<
  A extends unknown[] = never[],
  R = unknown,
> extends KvsCacheEntryOptions {
  /** The key (within the namespace) to store the result under: a string or a function of the arguments. */
  key: string | ((...args: A) => string);
  /** Checked before the call: when false, the result is not stored. */
  condition?: (...args: A) => boolean;
  /** Checked after the call: when true, the result is not stored. */
  unless?: (result: R, ...args: A) => boolean;
}

/**
 * Always runs the method and stores its result under `key`, for the `@Cacheable` methods (or
 * `wrap` calls) that read that key: `@CachePut({ key: (u: User) => \`user:${u.id}\` })`.
 */
export function CachePut<A extends unknown[] = never[], R = unknown>(
  options: CachePutOptions<A, R>,
): CacheMethodDecorator<A, R> {
  const where = '@CachePut()';
  checkEntryOptions(where, options);
  if (options.key === undefined) {
    reject(where, 'key', 'a key or a function of the arguments (the entry to store)', options.key);
  }
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const stored = { ...options } as StoredMethodOptions;
  return (target, propertyKey, descriptor) =>
    replaceMethod('put', 'CachePut', stored, target, propertyKey, descriptor);
}
