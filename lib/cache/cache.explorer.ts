import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { KvsInvalidArgumentError } from '../store/index.js';
import { cacheMessages } from './cache.messages.js';
import type { CheckedLoadOptions } from './cache.options.js';
import { cachedMethodOf } from './decorators/cache-method.decorator.js';
import { CACHE_RUNTIME, KvsCacheRuntime, type CachedMethod } from './engine/cache.runtime.js';

/** The decorator of each kind of cached method, for error messages. */
const DECORATORS = {
  cacheable: 'Cacheable',
  put: 'CachePut',
  evict: 'CacheEvict',
  many: 'CacheableMany',
} as const;

/** Classes already warned about (request-scoped or transient), so each is logged once. */
const warned = new WeakSet<object>();

/**
 * Finds every provider and controller whose class has cached methods and attaches this
 * application's runtime to its instance, where the methods' forwarding functions look for it.
 * Runs at module init (its module is global, so before other modules' hooks); routes
 * registered earlier already hold the forwarding functions, so controllers work too.
 */
@Injectable()
export class KvsCacheExplorer implements OnModuleInit {
  readonly #logger = new Logger('KvsCache');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly runtime: KvsCacheRuntime,
  ) {}

  /** Attaches the runtime, and fails startup if a method names a store that is not registered. */
  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) continue;
      const methods = this.#cachedMethods(instance);
      if (methods.length === 0) continue;
      if (this.runtime.enabled) for (const method of methods) this.#check(method);
      if (!wrapper.isDependencyTreeStatic()) this.#skip(instance, methods);
      else if (!wrapper.isTransient) this.#attach(instance);
      else for (const each of wrapper.getStaticTransientInstances()) this.#attach(each?.instance);
    }
  }

  /** Fails startup, naming the method and the fix, when no store can serve `method`. */
  #check(method: CachedMethod<CheckedLoadOptions>): void {
    const store = method.options.store ?? this.runtime.settings.store;
    if (!this.runtime.hasStore(store)) {
      const who = `@${DECORATORS[method.kind]}() on ${method.label}`;
      throw new KvsInvalidArgumentError(cacheMessages.missingStore(store, who));
    }
    this.runtime.planOf(method);
  }

  #cachedMethods(instance: object): CachedMethod<CheckedLoadOptions>[] {
    const found: CachedMethod<CheckedLoadOptions>[] = [];
    for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
      const method = cachedMethodOf((instance as Record<string, unknown>)[name]);
      if (method !== undefined) found.push(method as CachedMethod<CheckedLoadOptions>);
    }
    return found;
  }

  #attach(instance: unknown): void {
    if (typeof instance !== 'object' || instance === null) return;
    const attached = Reflect.defineProperty(instance, CACHE_RUNTIME, {
      value: this.runtime,
      configurable: true,
      enumerable: false,
      writable: true,
    });
    if (!attached) this.#logger.warn(cacheMessages.frozen(instance.constructor.name));
  }

  #skip(instance: object, methods: CachedMethod[]): void {
    for (const method of methods) method.warned = true;
    const type = instance.constructor;
    if (warned.has(type)) return;
    warned.add(type);
    this.#logger.warn(
      cacheMessages.scoped(
        type.name,
        methods.map((m) => m.label),
      ),
    );
  }
}
