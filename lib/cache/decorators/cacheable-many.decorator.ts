import { KvsInvalidArgumentError } from '../../store/index.js';
import { batchMessages } from '../batch/batch.messages.js';
import { checkCacheableManyOptions, type CacheableManyOptions } from '../batch/batch.options.js';
import { replaceMethod } from './cache-method.decorator.js';

/**
 * The decorator returned by `@CacheableMany`: it accepts a method whose first parameter is the
 * array of ids and whose other parameters match those of the key/unless functions, resolving
 * `Out` (the values in the ids' order, or a Map from id to value).
 */
export type CacheableManyDecorator<I, A extends unknown[], Out> = <
  M extends (ids: I[], ...rest: [...A, ...never[]]) => Promise<Out>,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => TypedPropertyDescriptor<M>;

/**
 * Caches a method that loads many entities at once, per id: `findByIds(ids, ...rest)` answers the
 * ids whose entries are cached from the cache (one store read for all of them) and runs once with
 * only the missing ids (in the caller's order) and the same other arguments. It resolves the
 * values in the ids' order, or with `returns: 'map'` a Map from id to value (ids it lacks are
 * cached as `undefined` and left out). Concurrent calls share the ids they both load.
 *
 * ```ts
 * @CacheableMany({ key: (id: string) => `user:${id}`, ttl: '5m' })
 * findByIds(ids: string[]): Promise<(User | null)[]> { ... }
 * ```
 */
export function CacheableMany<I = never, A extends unknown[] = never[], R = unknown>(
  options: CacheableManyOptions<I, A, R> & { returns: 'map' },
): CacheableManyDecorator<I, A, Map<I, R>>;
/** Caches a method that loads many entities at once, per id, resolving them in the ids' order. */
export function CacheableMany<I = never, A extends unknown[] = never[], R = unknown>(
  options?: CacheableManyOptions<I, A, R> & { returns?: 'array' },
): CacheableManyDecorator<I, A, R[]>;
export function CacheableMany<I, A extends unknown[], R>(
  options: CacheableManyOptions<I, A, R> = {},
): CacheableManyDecorator<I, A, unknown> {
  const stored = checkCacheableManyOptions(options);
  return (target, propertyKey, descriptor) => {
    const types: unknown = Reflect.getMetadata('design:paramtypes', target, propertyKey);
    const first = Array.isArray(types) ? (types[0] as unknown) : undefined;
    const declared = typeof target !== 'function' && typeof first === 'function';
    if (declared && first !== Array && first !== Object) {
      const label = `${target.constructor.name}.${String(propertyKey)}`;
      throw new KvsInvalidArgumentError(
        batchMessages.paramNotAnArray(label, (first as () => unknown).name),
      );
    }
    return replaceMethod('many', 'CacheableMany', stored, target, propertyKey, descriptor);
  };
}
