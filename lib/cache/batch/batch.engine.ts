import { UNREADABLE, type CacheEngine, type Outcome } from '../engine/cache.engine.js';
import { FAILED, type SpaceContext } from '../engine/cache.space.js';
import type { CachePlan, CacheWriter, EngineSettings } from '../engine/cache.writer.js';
import { valueKey } from '../entry/cache.keys.js';
import { entryState } from '../grace/grace.entry.js';
import { LoadWaiter, type GraceFlight } from '../grace/grace.waiter.js';
import { localTtl } from '../local/local.use.js';
import { locallyCurrent } from '../tags/tags.versions.js';
import { cacheLookup } from '../../telemetry/telemetry.hooks.js';
import { BatchLoads, type BatchLoad } from './batch.loads.js';
import { distinct } from './batch.result.js';
import { currentMany, readTagsBefore } from './batch.tags.js';
import { awaitPending, type Gathered } from './batch.wait.js';

/**
 * The cache's semantics for many keys at once (`KvsCache.wrapMany`, `@CacheableMany`), beside
 * {@link CacheEngine} and sharing its flights: keys already loading in this process (a `wrap` or
 * another batch) are joined, then local-tier hits are taken, then ONE store read (one MGET, one
 * per slot on a Cluster) fetches the rest, and the loader runs once with the keys still missing,
 * in the caller's order. Those keys are registered as flights while they load, so other calls
 * join them and an eviction stops their write back. Stale hits are served and refreshed together
 * by one background call of the loader. Tagged entries are checked as `wrap` checks them (all
 * their tag versions in one more MGET); a graced entry is a miss whose value answers if the load
 * fails, one in its backoff is served without a load. Each distinct key counts once in hits,
 * stale or misses. Reads pass through {@link #answer} and writes through `BatchLoads`.
 */
export class CacheBatch {
  readonly #loads: BatchLoads;
  readonly #waiter: LoadWaiter;

  constructor(
    private readonly ctx: SpaceContext,
    private readonly settings: EngineSettings,
    writer: CacheWriter,
    private readonly engine: CacheEngine,
  ) {
    this.#waiter = new LoadWaiter(ctx, settings.clock);
    this.#loads = new BatchLoads(ctx, writer, this.#waiter);
  }

  /** The cached values of `keys`, in their order, the missing ones from one `load.compute()`. */
  async cachedMany(plan: CachePlan, keys: readonly string[], load: BatchLoad): Promise<unknown[]> {
    const unique = distinct(keys);
    const { tags } = load;
    const found: Gathered = {
      ready: new Map(),
      pending: new Map(),
      graced: new Map(),
      stale: [],
      tags: tags && new Map(unique.map((key) => [key, tags(key)])),
    };
    const toRead = this.#fromMemory(plan, unique, found);
    if (toRead.length > 0) {
      const read = await this.#read(plan, toRead, found);
      const toLoad = toRead.filter(
        (key) => !found.ready.has(key) && !this.#joined(plan, key, found),
      );
      if (toLoad.length > 0) this.#loads.start(plan, toLoad, load, read, found);
    }
    if (found.stale.length > 0) this.#loads.refresh(plan, found.stale, load, found);
    if (found.pending.size > 0) await awaitPending(plan, found, this.#waiter, this.engine);
    const given = new Set<string>();
    return keys.map((key) => {
      const answer = found.ready.get(key)!;
      if (given.has(key)) return answer.copy();
      given.add(key);
      return answer.value;
    });
  }

  /**
   * Joins loads in flight and takes local-tier hits (of entries current by the tag versions this
   * process knows); returns the keys left to read, graced local entries among them.
   */
  #fromMemory(plan: CachePlan, keys: readonly string[], found: Gathered): string[] {
    const { local } = plan;
    const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
    if (tier === undefined && plan.space.flights.size === 0) return [...keys];
    const toRead: string[] = [];
    for (const key of keys) {
      if (this.#joined(plan, key, found)) continue;
      const storeKey = valueKey(plan, key);
      const entry = tier?.get(storeKey);
      if (entry !== undefined && locallyCurrent(tier!, plan.namespace, entry.bytes)) {
        const value = this.engine.localEntryValue(entry, local!, storeKey);
        const copy = local!.shared ? () => value : undefined;
        if (this.#answer(plan, key, entry.bytes, value, 'local_hit', found, copy)) {
          this.ctx.stats.localHits++;
          continue;
        }
      }
      toRead.push(key);
    }
    return toRead;
  }

  /** Joins the load of `key` running in this process, if any. */
  #joined(plan: CachePlan, key: string, found: Gathered): boolean {
    const { flights } = plan.space;
    const running = flights.size > 0 ? flights.get(valueKey(plan, key)) : undefined;
    if (running === undefined) return false;
    found.pending.set(key, { flight: running as GraceFlight<Outcome>, own: false });
    return true;
  }

  /**
   * Reads `keys` in one round trip (with the local tier, with their TTLs; with the versions of
   * the batch's tags, one more MGET in the same round trip), checks the tags of the tagged
   * entries (one more MGET for all of them, only for tags whose versions it does not know), and
   * fills the tier with the live, current entries. False when the store failed: every key is
   * then missing (a graced local entry still answers a failed load).
   */
  async #read(plan: CachePlan, keys: string[], found: Gathered): Promise<boolean> {
    const { local } = plan;
    const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
    const token = tier?.begin() ?? 0;
    const sentAt = performance.now();
    const storeKeys = keys.map((key) => valueKey(plan, key));
    const tagged = found.tags && keys.flatMap((key) => found.tags!.get(key) ?? []);
    const versions = tagged === undefined ? undefined : readTagsBefore(plan, tagged);
    const read = await plan.space.getMany(storeKeys, plan.timeout, tier !== undefined);
    const known = await versions;
    if (read === FAILED) return false;
    const current = await currentMany(plan, read.bytes, known);
    for (let i = 0; i < keys.length; i++) {
      const bytes = current[i] ? read.bytes[i] : undefined;
      found.graced.delete(keys[i]!);
      if (bytes === undefined) continue;
      const storeKey = storeKeys[i]!;
      const ttl = read.ttls?.[i];
      if (tier !== undefined && ttl !== undefined) {
        tier.fill(storeKey, bytes, localTtl(local!, ttl, sentAt), token);
      }
      const value = this.engine.decodeEntry(bytes, storeKey);
      if (this.#answer(plan, keys[i]!, bytes, value, 'hit', found)) this.ctx.stats.storeHits++;
    }
    return true;
  }

  /**
   * Takes a read entry's value as the answer of `key`: fresh, stale (refreshed), or graced in its
   * backoff (served, no load); counted as `wrap` counts it. False when it is no answer: unreadable,
   * or graced (then kept in `found.graced`, to answer if the load fails).
   */
  #answer(
    plan: CachePlan,
    key: string,
    bytes: Buffer,
    value: unknown,
    hit: 'hit' | 'local_hit',
    found: Gathered,
    copy = () => this.engine.decodeEntry(bytes, valueKey(plan, key)),
  ): boolean {
    if (value === UNREADABLE) return false;
    const state = entryState(bytes, this.settings.clock());
    if (state === 'graced') {
      found.graced.set(key, { bytes, value: () => value, from: hit === 'hit' ? 'store' : 'local' });
      return false;
    }
    if (state === 'backoff') {
      this.#waiter.served(plan);
    } else {
      const stale = state === 'stale';
      this.ctx.stats[stale ? 'stale' : 'hits']++;
      cacheLookup(stale ? 'stale' : hit, plan.namespace);
      if (stale) found.stale.push(key);
    }
    found.ready.set(key, { value, copy });
    return true;
  }
}
