import {
  Inject,
  Injectable,
  Optional,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getKvsToken } from '../../module/kvs.constants.js';
import { Deadlines } from '../../shared/deadlines.js';
import { toError } from '../../shared/errors.js';
import { ThrottledLog } from '../../shared/throttled-log.js';
import {
  isKvsError,
  KvsConnectionError,
  KvsInvalidArgumentError,
  type KvsStore,
} from '../../store/index.js';
import { storeKind } from '../../store/kvs.backend.js';
import { channelOf } from '../../store/kvs.channel.js';
import { withTimeout } from '../../shared/timeout.js';
import { LocalSync } from '../local/local.sync.js';
import type { LocalUse } from '../local/local.use.js';
import { KVS_CACHE_OPTIONS } from '../cache.constants.js';
import { splitCacheSwitch, type KvsCacheSwitch } from '../cache.switch.js';
import { cacheMessages } from '../cache.messages.js';
import type {
  CacheSettings,
  EvictMethodOptions,
  CheckedLoadOptions,
  KvsCacheModuleOptions,
  StoredMethodOptions,
} from '../cache.options.js';
import { assertStaleTtl, resolveCacheSettings } from '../cache.settings.js';
import { checkedKey, evaluateKey, methodKey } from '../entry/cache.keys.js';
import { CacheBatch } from '../batch/batch.engine.js';
import { cachedManyCall } from '../batch/batch.method.js';
import type { StoredManyOptions } from '../batch/batch.options.js';
import type { CallTags } from '../tags/tags.call.js';
import { invalidateTags } from '../tags/tags.invalidate.js';
import { callTags, evictTags } from '../tags/tags.options.js';
import { putTags, SKIP } from '../tags/tags.versions.js';
import { planGrace } from '../grace/grace.options.js';
import { CacheEngine } from './cache.engine.js';
import { CacheSpace, type SpaceContext } from './cache.space.js';
import { CacheCounters } from '../cache.stats.js';
import { CacheWriter, type CachePlan, type Load } from './cache.writer.js';

/**
 * Where an application's cache runtime sits on each instance whose class has decorated methods.
 * A registry symbol, so it is the same key for every copy of this file (e.g. ESM and CJS builds).
 */
export const CACHE_RUNTIME: unique symbol = Symbol.for('nestjs-kvs:cache-runtime:v1') as never;

/** How long startup waits for the local tier's channel to come up. */
const CHANNEL_WAIT_MS = 10_000;

/** What the decorators' forwarding functions call: one per application, found on `this`. */
export interface CacheRuntime {
  /** Runs `method` on `self` with `args`, through the cache. */
  invoke(method: CachedMethod, self: object, args: unknown[]): Promise<unknown>;
}

/** A method as the runtime calls it. */
export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** What a decorator recorded about one method. */
export interface CachedMethod<O = unknown> {
  readonly kind: 'cacheable' | 'put' | 'evict' | 'many';
  /** `<Class>.<method>`: the default key prefix and the name in log lines. */
  readonly label: string;
  /** The function the decorator replaced (possibly another decorator's wrapper). */
  readonly original: AnyMethod;
  /** The decorator's options, already validated. */
  readonly options: O;
  /** Whether the "no cache attached" warning was given for this method. */
  warned: boolean;
}

/**
 * One application's cache: its settings, stores, counters and engine. The explorer attaches it to
 * every instance with decorated methods; KvsCache is its public face. Its settings come from
 * `KvsCacheModule.forRoot()` when the application registers it, else from the defaults.
 */
@Injectable()
export class KvsCacheRuntime implements CacheRuntime, OnModuleInit, OnApplicationShutdown {
  readonly settings: CacheSettings;
  /** False when `KvsCacheModule.forRoot({ enabled: false })` turned caching off. */
  readonly enabled: boolean;
  /** Whether the application registered KvsCacheModule (its `store` is then checked at startup). */
  readonly #explicit: boolean;
  readonly stats = new CacheCounters();
  readonly engine: CacheEngine;
  /** The engine of batches (`KvsCache.wrapMany`, `@CacheableMany`). */
  readonly batch: CacheBatch;
  readonly writer: CacheWriter;
  readonly #context: SpaceContext;
  readonly #spaces = new Map<string, CacheSpace>();
  readonly #plans = new Map<CachedMethod, CachePlan>();
  readonly #memoryNoted = new WeakSet<CacheSpace>();
  #closed = false;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Optional() @Inject(KVS_CACHE_OPTIONS) options?: KvsCacheModuleOptions & KvsCacheSwitch,
  ) {
    const { enabled, rest } = splitCacheSwitch(options ?? {});
    this.enabled = enabled;
    this.#explicit = options !== undefined;
    this.settings = resolveCacheSettings(rest);
    const { logger, logInterval, lockTtl, lockWait, clock, codec } = this.settings;
    const log = new ThrottledLog(logger ?? new Logger('KvsCache'), logInterval);
    this.#context = { codec, stats: this.stats, log, deadlines: new Deadlines() };
    const engineSettings = { lockTtl, lockWait, clock };
    this.writer = new CacheWriter(this.#context, engineSettings);
    this.engine = new CacheEngine(this.#context, engineSettings, this.writer);
    this.batch = new CacheBatch(this.#context, engineSettings, this.writer, this.engine);
  }

  /** False when caching is off, or once the application shuts down: calls then bypass the cache. */
  get active(): boolean {
    return this.enabled && !this.#closed;
  }

  /**
   * Fails startup when KvsCacheModule names a store that is not registered, or asks for a local
   * tier whose channel cannot come up (Redis refuses SUBSCRIBE, or tracking before Redis 6).
   * Without KvsCacheModule nothing is checked here: the explorer checks the store of each
   * decorated method, so an application with named stores only starts when nothing needs the
   * default one.
   */
  async onModuleInit(): Promise<void> {
    if (!this.#explicit || !this.enabled) return;
    const space = this.space(this.settings.store);
    const sync = this.#sync(space, this.settings.store);
    if (sync === undefined) return;
    const { namespace } = this.settings;
    const up = sync.settings.tracking ? sync.track(namespace) : sync.ready;
    try {
      await withTimeout(up, CHANNEL_WAIT_MS, () => new Error('timeout'));
    } catch (err) {
      const cause = isKvsError(err) ? err : undefined;
      throw cause?.code === 'KVS_BACKEND' || cause?.code === 'KVS_INVALID_ARGUMENT'
        ? cause
        : new KvsConnectionError(
            cacheMessages.channelDown(this.settings.store, CHANNEL_WAIT_MS, cause),
          );
    }
    sync.readiness(namespace).ready = true;
  }

  /** Whether the store registered under `name` exists in this application. */
  hasStore(name: string | undefined): boolean {
    if (this.#spaces.has(name ?? '')) return true;
    try {
      this.moduleRef.get<KvsStore>(getKvsToken(name), { strict: false });
      return true;
    } catch {
      return false;
    }
  }

  /** Stops using the store: calls made during shutdown run without the cache. */
  onApplicationShutdown(): void {
    this.#closed = true;
    for (const space of this.#spaces.values()) space.local?.close();
  }

  /** Runs a decorated method through the cache (called by the decorators' forwarding functions). */
  invoke(method: CachedMethod, self: object, args: unknown[]): Promise<unknown> {
    if (!this.active) return direct(method, self, args);
    switch (method.kind) {
      case 'cacheable':
        return this.#cacheable(method as CachedMethod<StoredMethodOptions>, self, args);
      case 'put':
        return this.#put(method as CachedMethod<StoredMethodOptions>, self, args);
      case 'evict':
        return this.#evictAround(method as CachedMethod<EvictMethodOptions>, self, args);
      case 'many': {
        const many = method as CachedMethod<StoredManyOptions>;
        return cachedManyCall(this.batch, this.planOf(many), many, self, args);
      }
    }
  }

  /** The plan of a decorated method, resolved once. */
  planOf(method: CachedMethod<CheckedLoadOptions>): CachePlan {
    let plan = this.#plans.get(method);
    if (plan === undefined) {
      plan = this.plan(method.options, method.label);
      this.#plans.set(method, plan);
    }
    return plan;
  }

  /** The module's options overridden by `options` (already checked). */
  plan(options: CheckedLoadOptions, label: string): CachePlan {
    const s = this.settings;
    const ttl = options.ttl ?? s.ttl;
    const staleTtl = options.staleTtl ?? s.staleTtl;
    assertStaleTtl(label, ttl, staleTtl);
    const space = this.space(options.store ?? s.store);
    const namespace = options.namespace ?? s.namespace;
    return {
      space,
      namespace,
      local: this.#localUse(space, options, namespace, label),
      ttl,
      staleTtl,
      timeout: options.timeout ?? s.timeout,
      cacheNull: options.cacheNull ?? s.cacheNull,
      lock: options.lock ?? s.lock,
      label,
      grace: planGrace(label, s.grace, options.graced, ttl, staleTtl),
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

  /**
   * How a plan uses the local tier of its store. The module's `local` turns the tier on (a method
   * or call may opt out or tune it); a method cannot turn it on alone, since then the instances
   * whose calls write or evict through other methods would not tell it.
   */
  #localUse(
    space: CacheSpace,
    options: CheckedLoadOptions,
    namespace: string,
    label: string,
  ): LocalUse | undefined {
    const module = this.settings.local;
    const own = options.local;
    if (module === undefined) {
      if (own !== undefined && own !== false) {
        throw new KvsInvalidArgumentError(cacheMessages.localWithoutModule(label));
      }
      return undefined;
    }
    const sync = this.#sync(space, options.store ?? this.settings.store);
    if (sync === undefined || own === false) return undefined;
    return {
      sync,
      ttl: own?.ttl ?? module.ttl,
      shared: own?.shared ?? module.shared,
      readiness: sync.readiness(namespace),
    };
  }

  /** The local tier of a store (made on first use); undefined on a memory store. */
  #sync(space: CacheSpace, name: string | undefined): LocalSync | undefined {
    const settings = this.settings.local;
    if (settings === undefined) return undefined;
    if (space.local !== undefined) return space.local;
    if (storeKind(space.store) === 'memory') {
      if (!this.#memoryNoted.has(space)) {
        this.#memoryNoted.add(space);
        new Logger('KvsCache').log(cacheMessages.localOnMemory(name));
      }
      return undefined;
    }
    const channel = channelOf(space.store);
    if (channel === undefined) {
      throw new KvsInvalidArgumentError(cacheMessages.noChannel(name, space.store.backend));
    }
    space.local = new LocalSync(channel, settings, this.stats, (namespace, err) =>
      this.#context.log.warn(`tracking:${namespace}`, () =>
        cacheMessages.trackingFailed(namespace, err),
      ),
    );
    return space.local;
  }

  /** Not `async`: the hit path of every call goes through here, so it adds no promise of its own. */
  #cacheable(
    method: CachedMethod<StoredMethodOptions>,
    self: object,
    args: unknown[],
  ): Promise<unknown> {
    let key: string;
    let tags: CallTags | undefined;
    try {
      const { condition } = method.options;
      if (condition !== undefined && !condition(...args)) {
        return Promise.resolve(method.original.apply(self, args));
      }
      key = methodKey(method.label, method.options.key, args);
      tags = callTags(method.label, method.options, args);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    const load = new MethodLoad(method, self, args, tags);
    return this.engine.cached(this.planOf(method), key, load);
  }

  async #put(
    method: CachedMethod<StoredMethodOptions>,
    self: object,
    args: unknown[],
  ): Promise<unknown> {
    const value: unknown = await method.original.apply(self, args);
    const { condition, unless } = method.options;
    if (condition === undefined || condition(...args)) {
      const veto = unless && ((result: unknown) => unless(result, ...args));
      const { ttlOf } = method.options;
      const ttl = ttlOf && ((result: unknown) => ttlOf(result, ...args));
      const plan = this.planOf(method);
      const key = methodKey(method.label, method.options.key, args);
      const tags = callTags(method.label, method.options, args);
      const ext = tags === undefined ? undefined : await putTags(plan, tags, value);
      if (ext === SKIP) await this.writer.evict(plan, [key]);
      else await this.writer.put(plan, key, value, veto, ext, ttl);
    }
    return value;
  }

  async #evictAround(
    method: CachedMethod<EvictMethodOptions>,
    self: object,
    args: unknown[],
  ): Promise<unknown> {
    const { condition, beforeInvocation } = method.options;
    const enabled = condition === undefined || condition(...args);
    if (enabled && beforeInvocation === true) await this.#evict(method, args);
    const result: unknown = await method.original.apply(self, args);
    if (enabled && beforeInvocation !== true) await this.#evict(method, args);
    return result;
  }

  async #evict(method: CachedMethod<EvictMethodOptions>, args: unknown[]): Promise<number> {
    const { key, prefix, allEntries } = method.options;
    const plan = this.planOf(method);
    const tags = evictTags(method.label, method.options, args);
    if (tags !== undefined) await invalidateTags(plan, tags, this.stats);
    if (key === undefined && prefix === undefined && allEntries !== true) return 0;
    if (allEntries === true) return this.writer.evictPrefix(plan, '');
    if (prefix !== undefined) {
      return this.writer.evictPrefix(plan, checkedKey(method.label, evaluateKey(prefix, args)));
    }
    const keys = evaluateKey(key ?? [], args);
    const list = typeof keys === 'string' ? [keys] : [...keys];
    return this.writer.evict(
      plan,
      list.map((k) => checkedKey(method.label, k)),
    );
  }
}

/** A call made without the cache (after shutdown): a throw becomes a rejection, as through it. */
function direct(method: CachedMethod, self: object, args: unknown[]): Promise<unknown> {
  try {
    return Promise.resolve(method.original.apply(self, args));
  } catch (err) {
    return Promise.reject(toError(err));
  }
}

/** The load of one call of a decorated method: the method itself, and its `unless` veto. */
class MethodLoad implements Load<unknown> {
  constructor(
    private readonly method: CachedMethod<StoredMethodOptions>,
    private readonly self: object,
    private readonly args: unknown[],
    readonly tags: CallTags | undefined,
  ) {}

  async compute(): Promise<unknown> {
    return this.method.original.apply(this.self, this.args);
  }

  get unless(): ((value: unknown) => boolean) | undefined {
    const { unless } = this.method.options;
    return unless && ((value: unknown) => unless(value, ...this.args));
  }

  get ttl(): ((value: unknown) => unknown) | undefined {
    const { ttlOf } = this.method.options;
    return ttlOf && ((value: unknown) => ttlOf(value, ...this.args));
  }
}
