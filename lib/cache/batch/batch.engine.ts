import { UNREADABLE, type CacheEngine, type Outcome } from '../engine/cache.engine.js';
import { FAILED, type Flight, type SpaceContext } from '../engine/cache.space.js';
import type { CachePlan, CacheWriter, EngineSettings } from '../engine/cache.writer.js';
import { freshUntil } from '../entry/cache.envelope.js';
import { valueKey } from '../entry/cache.keys.js';
import { localTtl } from '../local/local.use.js';
import { cacheLookup } from '../../telemetry/telemetry.hooks.js';
import { BatchLoads, type BatchLoad, type Pending } from './batch.loads.js';
import { distinct } from './batch.result.js';

/** What one batch knows so far: answers by key, loads it waits for, stale keys to refresh. */
interface Gathered {
  readonly ready: Map<string, Outcome>;
  readonly pending: Map<string, Pending>;
  readonly stale: string[];
}

/**
 * The cache's semantics for many keys at once (`KvsCache.wrapMany`, `@CacheableMany`), beside
 * {@link CacheEngine} and sharing its flights: keys already loading in this process (a `wrap` or
 * another batch) are joined, then local-tier hits are taken, then ONE store read (one MGET, one
 * per slot on a Cluster) fetches the rest, and the loader runs once with the keys still missing,
 * in the caller's order. Those keys are registered as flights while they load, so other calls
 * join them and an eviction stops their write back. Stale hits are served and refreshed together
 * by one background call of the loader. Each distinct key counts once in hits, stale or misses.
 * Reads pass through {@link #answer} and writes through `BatchLoads.#store`: the one place each
 * for a per-key check on read and per-key meta on write.
 */
export class CacheBatch {
  readonly #loads: BatchLoads;

  constructor(
    private readonly ctx: SpaceContext,
    private readonly settings: EngineSettings,
    writer: CacheWriter,
    private readonly engine: CacheEngine,
  ) {
    this.#loads = new BatchLoads(ctx, writer);
  }

  /** The cached values of `keys`, in their order, the missing ones from one `load.compute()`. */
  async cachedMany(plan: CachePlan, keys: readonly string[], load: BatchLoad): Promise<unknown[]> {
    const found: Gathered = { ready: new Map(), pending: new Map(), stale: [] };
    const toRead = this.#fromMemory(plan, distinct(keys), found);
    if (toRead.length > 0) {
      const { missing, failed } = await this.#read(plan, toRead, found);
      const toLoad = missing.filter((key) => !this.#joined(plan, key, found));
      if (toLoad.length > 0) this.#loads.start(plan, toLoad, load, !failed, found.pending);
    }
    if (found.stale.length > 0) this.#loads.refresh(plan, found.stale, load);
    if (found.pending.size > 0) {
      await Promise.all(
        Array.from(found.pending, async ([key, { flight, own }]) => {
          const outcome = await flight.promise;
          found.ready.set(
            key,
            own ? outcome : { value: outcome.copy(), copy: () => outcome.copy() },
          );
        }),
      );
    }
    const given = new Set<string>();
    return keys.map((key) => {
      const answer = found.ready.get(key)!;
      if (given.has(key)) return answer.copy();
      given.add(key);
      return answer.value;
    });
  }

  /** Joins loads in flight and takes local-tier hits; returns the keys left to read. */
  #fromMemory(plan: CachePlan, keys: readonly string[], found: Gathered): string[] {
    const { local } = plan;
    const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
    if (tier === undefined && plan.space.flights.size === 0) return [...keys];
    const toRead: string[] = [];
    for (const key of keys) {
      if (this.#joined(plan, key, found)) continue;
      const storeKey = valueKey(plan, key);
      const entry = tier?.get(storeKey);
      if (entry !== undefined) {
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

  /** Joins the load of `key` running in this process, if any (counted a miss, as `wrap` does). */
  #joined(plan: CachePlan, key: string, found: Gathered): boolean {
    const { flights } = plan.space;
    const running = flights.size > 0 ? flights.get(valueKey(plan, key)) : undefined;
    if (running === undefined) return false;
    this.ctx.stats.misses++;
    cacheLookup('miss', plan.namespace);
    found.pending.set(key, { flight: running as Flight<Outcome>, own: false });
    return true;
  }

  /**
   * Reads `keys` in one round trip (with the local tier, with their TTLs, filling the tier with
   * the live entries); a failing store reads as all misses.
   */
  async #read(
    plan: CachePlan,
    keys: string[],
    found: Gathered,
  ): Promise<{ missing: string[]; failed: boolean }> {
    const { local } = plan;
    const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
    const token = tier?.begin() ?? 0;
    const sentAt = performance.now();
    const storeKeys = keys.map((key) => valueKey(plan, key));
    const read = await plan.space.getMany(storeKeys, plan.timeout, tier !== undefined);
    if (read === FAILED) return { missing: keys, failed: true };
    const missing: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const bytes = read.bytes[i];
      const storeKey = storeKeys[i]!;
      if (bytes !== undefined) {
        const ttl = read.ttls?.[i];
        if (tier !== undefined && ttl !== undefined) {
          tier.fill(storeKey, bytes, localTtl(local!, ttl, sentAt), token);
        }
        const value = this.engine.decodeEntry(bytes, storeKey);
        if (this.#answer(plan, keys[i]!, bytes, value, 'hit', found)) {
          this.ctx.stats.storeHits++;
          continue;
        }
      }
      missing.push(keys[i]!);
    }
    return { missing, failed: false };
  }

  /**
   * Takes a read entry's value as the answer of `key` (counted fresh or stale, as `wrap` does);
   * false when it is no answer (unreadable), so the key counts as missing.
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
    const until = freshUntil(bytes);
    const stale = until > 0 && this.settings.clock() >= until;
    this.ctx.stats[stale ? 'stale' : 'hits']++;
    cacheLookup(stale ? 'stale' : hit, plan.namespace);
    if (stale) found.stale.push(key);
    found.ready.set(key, { value, copy });
    return true;
  }
}
