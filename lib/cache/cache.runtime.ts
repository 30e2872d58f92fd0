import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { getKvsToken } from '../module/index.js';
import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';
import { KVS_CACHE_OPTIONS } from './cache.constants.js';
import { Deadlines } from '../shared/deadlines.js';
import { toError } from '../shared/errors.js';
import { CacheEngine } from './cache.engine.js';
import { invokeCached } from './cache.invoker.js';
import { ThrottledLog } from '../shared/throttled-log.js';
import { cacheMessages } from './cache.messages.js';
import type { CachedMethod, CacheRuntime } from './cache.method.js';
import type { KvsCacheLoadOptions } from './cache.options.js';
import type { CachePlan } from './cache.plan.js';
import { CacheSpace, type SpaceContext } from './cache.space.js';
import { CacheCounters } from './cache.stats.js';
import { CacheWriter } from './cache.writer.js';
import {
  assertStaleTtl,
  resolveCacheSettings,
  type CacheSettings,
  type KvsCacheModuleOptions,
} from './cache-module.options.js';

/** Applications (by their module container) that registered KvsCacheModule already. */
const claimed = new WeakSet<object>();

/**
 * One application's cache: its settings, stores, counters and engine. The explorer attaches it to
 * every instance with decorated methods; KvsCache is its public face.
 */
@Injectable()
export class KvsCacheRuntime implements CacheRuntime, OnModuleInit, OnApplicationShutdown {
  readonly settings: CacheSettings;
  readonly stats = new CacheCounters();
  readonly engine: CacheEngine;
  readonly writer: CacheWriter;
  readonly #context: SpaceContext;
  readonly #spaces = new Map<string, CacheSpace>();
  readonly #plans = new Map<CachedMethod, CachePlan>();
  #closed = false;

  constructor(
    @Inject(KVS_CACHE_OPTIONS) options: KvsCacheModuleOptions,
    private readonly moduleRef: ModuleRef,
    container: ModulesContainer,
  ) {
    if (claimed.has(container)) throw new KvsInvalidArgumentError(cacheMessages.twice());
    claimed.add(container);
    this.settings = resolveCacheSettings(options);
    const { logger, logInterval, lockTtl, lockWait, clock, codec } = this.settings;
    const log = new ThrottledLog(logger ?? new Logger('KvsCache'), logInterval);
    this.#context = { codec, stats: this.stats, log, deadlines: new Deadlines() };
    const engineSettings = { lockTtl, lockWait, clock };
    this.writer = new CacheWriter(this.#context, engineSettings);
    this.engine = new CacheEngine(this.#context, engineSettings, this.writer);
  }

  /** False once the application shuts down: calls then bypass the cache. */
  get active(): boolean {
    return !this.#closed;
  }

  /** Fails startup when the module's store is not registered. */
  onModuleInit(): void {
    this.space(this.settings.store);
  }

  /** Stops using the store: calls made during shutdown run without the cache. */
  onApplicationShutdown(): void {
    this.#closed = true;
  }

  /** Runs a decorated method through the cache (called by the decorators' forwarding functions). */
  invoke(method: CachedMethod, self: object, args: unknown[]): Promise<unknown> {
    if (!this.#closed) return invokeCached(this, method, self, args);
    try {
      return Promise.resolve(method.original.apply(self, args));
    } catch (err) {
      return Promise.reject(toError(err));
    }
  }

  /** The plan of a decorated method, resolved once. */
  planOf(method: CachedMethod<KvsCacheLoadOptions>): CachePlan {
    let plan = this.#plans.get(method);
    if (plan === undefined) {
      plan = this.plan(method.options, method.label);
      this.#plans.set(method, plan);
    }
    return plan;
  }

  /** The module's options overridden by `options` (already checked). */
  plan(options: KvsCacheLoadOptions, label: string): CachePlan {
    const s = this.settings;
    const ttl = options.ttl ?? s.ttl;
    const staleTtl = options.staleTtl ?? s.staleTtl;
    assertStaleTtl(label, ttl, staleTtl);
    return {
      space: this.space(options.store ?? s.store),
      namespace: options.namespace ?? s.namespace,
      ttl,
      staleTtl,
      timeout: options.timeout ?? s.timeout,
      cacheNull: options.cacheNull ?? s.cacheNull,
      lock: options.lock ?? s.lock,
      label,
    };
  }

  /** The store registered under `name` in this application; throws when there is none. */
  space(name: string | undefined): CacheSpace {
    let space = this.#spaces.get(name ?? '');
    if (space === undefined) {
      let store: KvsStore;
      try {
        store = this.moduleRef.get<KvsStore>(getKvsToken(name), { strict: false });
      } catch {
        throw new KvsInvalidArgumentError(cacheMessages.missingStore(name));
      }
      space = new CacheSpace(store, this.#context);
      this.#spaces.set(name ?? '', space);
    }
    return space;
  }
}
