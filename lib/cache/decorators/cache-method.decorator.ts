import { Logger } from '@nestjs/common';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { cacheMessages } from '../cache.messages.js';
import {
  CACHE_RUNTIME,
  type AnyMethod,
  type CachedMethod,
  type CacheRuntime,
} from '../engine/cache.runtime.js';

/**
 * The decorator returned by `@Cacheable`, `@CachePut` and `@CacheEvict`: it accepts a method that
 * returns a Promise and whose leading parameters match those of the key/condition functions.
 */
export type CacheMethodDecorator<A extends unknown[], R> = <
  M extends (...args: [...A, ...never[]]) => Promise<R>,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => TypedPropertyDescriptor<M>;

const registry = new WeakMap<object, CachedMethod>();
const logger = new Logger('KvsCache');

/** The record of a forwarding function the decorators installed; `undefined` for any other value. */
export function cachedMethodOf(fn: unknown): CachedMethod | undefined {
  return typeof fn === 'function' ? registry.get(fn) : undefined;
}

/**
 * Replaces the method in `descriptor` with a thin forwarding function that keeps the original's
 * `name`, `length` and reflect-metadata (so route, guard, pipe and Swagger decorators applied
 * below this one still apply; those above it decorate the forwarding function directly). At call
 * time it finds its application's runtime on `this`, or calls the original directly.
 */
export function replaceMethod<O>(
  kind: CachedMethod['kind'],
  decorator: string,
  options: O,
  target: object,
  propertyKey: string | symbol,
  descriptor: PropertyDescriptor,
): PropertyDescriptor {
  const original: unknown = descriptor.value;
  const label = `${typeof target === 'function' ? target.name : target.constructor.name}.${String(propertyKey)}`;
  if (typeof target === 'function' || typeof original !== 'function') {
    throw new KvsInvalidArgumentError(cacheMessages.notAMethod(decorator, label));
  }
  const method: CachedMethod<O> = {
    kind,
    label,
    original: original as AnyMethod,
    options,
    warned: false,
  };
  const forward = function (this: unknown, ...args: unknown[]): unknown {
    const runtime =
      typeof this === 'object' && this !== null
        ? (this as { [CACHE_RUNTIME]?: CacheRuntime })[CACHE_RUNTIME]
        : undefined;
    if (runtime !== undefined) return runtime.invoke(method, this as object, args);
    if (!method.warned) {
      method.warned = true;
      logger.warn(cacheMessages.unattached(label));
    }
    return method.original.apply(this, args);
  };
  Object.defineProperty(forward, 'name', { value: (original as AnyMethod).name });
  Object.defineProperty(forward, 'length', { value: (original as AnyMethod).length });
  for (const key of Reflect.getOwnMetadataKeys(original) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), forward);
  }
  registry.set(forward, method);
  descriptor.value = forward;
  return descriptor;
}
