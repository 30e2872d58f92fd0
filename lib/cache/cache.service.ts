import { Injectable } from '@nestjs/common';
import { checkFunction } from './cache.checks.js';
import { checkEntryOptions, checkKey } from './cache.method-options.js';
import { KVS_CACHE_METHOD_KEYS as KEYS } from './cache.option-names.js';
import type {
  KvsCacheLoadOptions,
  KvsCacheReadOptions,
  KvsCacheSetOptions,
  KvsCacheTarget,
  KvsCacheWrapOptions,
} from './cache.options.js';
import {
  checkBatchKeys,
  WRAP_MANY_KEYS,
  type KvsCacheWrapManyOptions,
} from './batch/batch.options.js';
import type { BatchLoad } from './batch/batch.loads.js';
import { uncachedMany } from './batch/batch.result.js';
import { keyTags } from './batch/batch.tags.js';
import { KvsCacheRuntime } from './engine/cache.runtime.js';
import type { KvsCacheStats } from './cache.stats.js';
import type { CachePlan } from './engine/cache.writer.js';
import { checkInvalidation } from './tags/tags.checks.js';
import { invalidateTags } from './tags/tags.invalidate.js';
import { checkTagOptions, optionTags, type StoredTagOptions } from './tags/tags.options.js';
import { putTags, SKIP } from './tags/tags.versions.js';

/**
 * The cache for code that is not a decorated method, with the decorators' semantics: inject it
 * and call `wrap(key, fn)`. Keys are relative to the namespace. No method rejects because of the
 * store: a failing store reads as a miss and writes nothing (logged, and counted in `stats()`).
 */
@Injectable()
export class KvsCache {
  /** The plan of each method called without options: the module's, resolved once. */
  readonly #defaults = new Map<string, CachePlan>();

  constructor(private readonly runtime: KvsCacheRuntime) {}

  /**
   * The cached value of `key`, or the result of `fn()`, stored for the next callers. Concurrent
   * calls for one key run `fn` once; errors of `fn` propagate and are never cached.
   */
  async wrap<T>(
    key: string,
    fn: () => T | Promise<T>,
    options?: KvsCacheWrapOptions<T>,
  ): Promise<T> {
    checkKey('KvsCache.wrap()', key);
    checkFunction('KvsCache.wrap()', 'fn', fn);
    if (!this.runtime.active) return fn();
    const plan = this.#plan('KvsCache.wrap()', options, KEYS.wrap);
    checkFunction('KvsCache.wrap()', 'unless', options?.unless);
    const tags = optionTags('KvsCache.wrap()', options as StoredTagOptions | undefined);
    const ttl = options?.ttl;
    return this.runtime.engine.cached(plan, key, {
      compute: async () => fn(),
      unless: options?.unless,
      tags,
      ttl: typeof ttl === 'function' ? ttl : undefined,
    });
  }

  /**
   * The cached values of `keys`, in their order: one store read for all of them, then ONE call of
   * `loadMissing` with the keys that missed (each once, in the caller's order), whose values are
   * stored. Keys that a `wrap` or another batch is loading in this process are joined, and the
   * keys this one loads are joined by them. Tagged entries are checked (one more MGET for all of
   * them); `tags`, `resultTags` and a `ttl` function apply per key. Errors of `loadMissing` reject
   * the call (nothing is cached) unless every key that failed has a graced entry to answer with;
   * a failing store reads as all misses.
   */
  wrapMany<T>(
    keys: readonly string[],
    loadMissing: (missing: string[]) => readonly T[] | Promise<readonly T[]>,
    options?: KvsCacheWrapManyOptions<T>,
  ): Promise<T[]>;
  /** As above, with `loadMissing` resolving a Map: a key the Map lacks gets (and caches) `undefined`. */
  wrapMany<T>(
    keys: readonly string[],
    loadMissing: (missing: string[]) => ReadonlyMap<string, T> | Promise<ReadonlyMap<string, T>>,
    options?: KvsCacheWrapManyOptions<T>,
  ): Promise<(T | undefined)[]>;
  async wrapMany(
    keys: readonly string[],
    loadMissing: (missing: string[]) => unknown,
    options?: KvsCacheWrapManyOptions<unknown>,
  ): Promise<unknown[]> {
    const where = 'KvsCache.wrapMany()';
    checkBatchKeys(where, keys);
    checkFunction(where, 'loadMissing', loadMissing);
    if (keys.length === 0) return [];
    if (!this.runtime.active) return uncachedMany(keys, loadMissing, where);
    const plan = this.#plan(where, options, WRAP_MANY_KEYS);
    checkFunction(where, 'unless', options?.unless);
    const tagged = options && checkTagOptions(where, options as StoredTagOptions, true);
    const ttl = options?.ttl;
    const load: BatchLoad = {
      compute: async (missing: string[]) => loadMissing(missing),
      unless: options?.unless,
      tags: keyTags(where, tagged, (key) => [key]),
      ttl: typeof ttl === 'function' ? ttl : undefined,
    };
    return this.runtime.batch.cachedMany(plan, keys, load);
  }

  /** The cached value of `key`, or `undefined` on a miss (and for a cached `undefined`; see `lookup`). */
  async get<T>(key: string, options?: KvsCacheReadOptions): Promise<T | undefined> {
    return (await this.#lookup<T>('KvsCache.get()', key, options))?.value;
  }

  /** `{ value }` when `key` is cached (even as `null` or `undefined`), `undefined` on a miss. */
  lookup<T>(key: string, options?: KvsCacheReadOptions): Promise<{ value: T } | undefined> {
    return this.#lookup('KvsCache.lookup()', key, options);
  }

  /**
   * Stores `value` under `key`; resolves true when it was written. With `tags`, their versions
   * are read first (one more round trip); the entry is dropped by `invalidateTags` of any of them.
   */
  async set<T>(key: string, value: T, options?: KvsCacheSetOptions<T>): Promise<boolean> {
    checkKey('KvsCache.set()', key);
    const tags = optionTags('KvsCache.set()', options);
    if (!this.runtime.active) return false;
    const plan = this.#plan('KvsCache.set()', options, KEYS.set);
    const ttl = typeof options?.ttl === 'function' ? options.ttl : undefined;
    if (tags === undefined)
      return this.runtime.writer.put(plan, key, value, undefined, undefined, ttl);
    const ext = await putTags(plan, tags, value);
    return ext !== SKIP && this.runtime.writer.put(plan, key, value, undefined, ext, ttl);
  }

  /**
   * Drops every entry of the namespace carrying one of `tags`, in every instance, at a cost that
   * does not depend on how many there are (two round trips); loads of such entries running in
   * this process store nothing. Resolves false when the store failed (logged, counted).
   */
  async invalidateTags(
    tags: string | readonly string[],
    options?: KvsCacheTarget,
  ): Promise<boolean> {
    const where = 'KvsCache.invalidateTags()';
    const list = checkInvalidation(where, tags);
    if (!this.runtime.active) return false;
    return invalidateTags(this.#plan(where, options), list, this.runtime.stats);
  }

  /** Removes one or several keys; resolves with how many existed. */
  async delete(keys: string | readonly string[], options?: KvsCacheTarget): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    for (const key of list) checkKey('KvsCache.delete()', key);
    if (!this.runtime.active) return 0;
    return this.runtime.writer.evict(this.#plan('KvsCache.delete()', options), list);
  }

  /** Removes every key of the namespace that starts with `prefix`; resolves with how many existed. */
  async deletePrefix(prefix: string, options?: KvsCacheTarget): Promise<number> {
    checkKey('KvsCache.deletePrefix()', prefix);
    if (!this.runtime.active) return 0;
    const plan = this.#plan('KvsCache.deletePrefix()', options);
    return this.runtime.writer.evictPrefix(plan, prefix);
  }

  /** Removes every entry of the namespace (the module's, or `options.namespace`), and nothing else. */
  async evictNamespace(options?: KvsCacheTarget): Promise<number> {
    if (!this.runtime.active) return 0;
    const plan = this.#plan('KvsCache.evictNamespace()', options);
    return this.runtime.writer.evictPrefix(plan, '');
  }

  /** The counters since startup or the last `resetStats()`. */
  stats(): KvsCacheStats {
    return this.runtime.stats.snapshot();
  }

  /** Sets every counter back to 0. */
  resetStats(): void {
    this.runtime.stats.reset();
  }

  async #lookup<T>(
    where: string,
    key: string,
    options: KvsCacheReadOptions | undefined,
  ): Promise<{ value: T } | undefined> {
    checkKey(where, key);
    if (!this.runtime.active) return undefined;
    const plan = this.#plan(where, options, KEYS.read);
    return (await this.runtime.engine.lookup(plan, key)) as { value: T } | undefined;
  }

  /**
   * `where` also names the caller in log lines (one name per method keeps the log's causes few);
   * `known` lists the options it takes (default: a target's namespace, store and timeout).
   */
  #plan(
    where: string,
    options: Omit<KvsCacheLoadOptions, 'ttl'> | undefined,
    known: Readonly<Record<string, true>> = KEYS.target,
  ): CachePlan {
    if (options !== undefined && !entryOnly(options, known)) {
      return this.runtime.plan(checkEntryOptions(where, options, known), where);
    }
    let plan = this.#defaults.get(where);
    if (plan === undefined) {
      plan = this.runtime.plan({}, where);
      this.#defaults.set(where, plan);
    }
    return plan;
  }
}

/**
 * Whether `options` set only what a call's entry carries (tags, a veto; each taken by the method),
 * so the module's plan serves the call and no plan is resolved per call.
 */
function entryOnly(options: object, known: Readonly<Record<string, true>>): boolean {
  for (const key in options) {
    if (!ENTRY_ONLY.has(key) || !Object.hasOwn(known, key)) return false;
  }
  return true;
}

const ENTRY_ONLY = new Set(['tags', 'resultTags', 'unless']);
