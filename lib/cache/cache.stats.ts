/** Counters of one application's cache, since startup or the last `resetStats()`. */
export interface KvsCacheStats {
  /** Calls answered from a fresh entry. Every call counts once in hits, stale or misses. */
  hits: number;
  /** Calls answered (fresh or stale) from the local tier, without a store round trip. */
  localHits: number;
  /** Calls answered (fresh or stale) from the store. `hits + stale = localHits + storeHits`. */
  storeHits: number;
  /** Calls answered from a stale entry while it was refreshed in the background. */
  stale: number;
  /** Calls that found no entry (or the store failed), whether their load then succeeded or threw; concurrent ones share one load. */
  misses: number;
  /** Runs of a method or `wrap` function to fill the cache, background refreshes included. */
  loads: number;
  /** Entries written. */
  writes: number;
  /** Entries removed by evictions and deletes. */
  evictions: number;
  /** Store steps that failed or timed out (the call went on without the cache). */
  errors: number;
  /** Calls a graced entry answered (counted in `stale` too): their load failed or timed out, or it was backing off. */
  graced: number;
  /** Calls whose wait for a load ended at `softTimeout` or `hardTimeout`. */
  timeouts: number;
  /** Keys and prefixes this instance told the others to drop from their local tier. */
  invalidationsSent: number;
  /** Keys and prefixes (and flushes) other instances or Redis tracking told this one to drop. */
  invalidationsReceived: number;
  /** Tags this instance invalidated (`invalidateTags`, `@CacheEvict({ tags })`), each counted once per call. */
  tagInvalidations: number;
}

/** The mutable counters behind {@link KvsCacheStats}. */
export class CacheCounters implements KvsCacheStats {
  hits = 0;
  localHits = 0;
  storeHits = 0;
  stale = 0;
  misses = 0;
  loads = 0;
  writes = 0;
  evictions = 0;
  errors = 0;
  graced = 0;
  timeouts = 0;
  invalidationsSent = 0;
  invalidationsReceived = 0;
  tagInvalidations = 0;

  /** A copy of the counters. */
  snapshot(): KvsCacheStats {
    const { hits, localHits, storeHits, stale, misses, loads, writes, evictions, errors } = this;
    const { invalidationsSent, invalidationsReceived, tagInvalidations, graced, timeouts } = this;
    return {
      ...{ hits, localHits, storeHits, stale, misses, loads, writes, evictions, errors },
      ...{ invalidationsSent, invalidationsReceived, tagInvalidations, graced, timeouts },
    };
  }

  /** Sets every counter back to 0. */
  reset(): void {
    this.hits = this.localHits = this.storeHits = this.stale = this.misses = this.loads = 0;
    this.writes = this.evictions = this.errors = this.graced = this.timeouts = 0;
    this.invalidationsSent = this.invalidationsReceived = this.tagInvalidations = 0;
  }
}
