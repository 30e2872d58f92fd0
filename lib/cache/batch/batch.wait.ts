import type { CacheEngine, Outcome } from '../engine/cache.engine.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { valueKey } from '../entry/cache.keys.js';
import type { GraceFlight, Graced, LoadWaiter } from '../grace/grace.waiter.js';
import type { CallTags } from '../tags/tags.call.js';

/** A key answered by a load: its own flight, or one a batch joined (then every answer is a copy). */
export interface Pending {
  readonly flight: GraceFlight<Outcome>;
  readonly own: boolean;
}

/**
 * What one batch knows so far, by key: answers, loads it waits for, graced entries, stale keys,
 * and each key's tags.
 */
export interface Gathered {
  readonly ready: Map<string, Outcome>;
  readonly pending: Map<string, Pending>;
  /** The graced entries read: the answers of their keys if their load fails or times out. */
  readonly graced: Map<string, Graced>;
  readonly stale: string[];
  /** The tags of each distinct key (undefined without `tags` or `resultTags`). */
  readonly tags: ReadonlyMap<string, CallTags | undefined> | undefined;
}

/**
 * Waits for every pending key of a batch, each as a single call waits for its load (the same
 * counting, and each key bounded by the plan's soft and hard timeouts): a key whose load fails
 * or times out answers with its graced entry (the batch's own, or the one the flight it joined
 * read), and without one rejects, so the batch rejects with the loader's error (or the first
 * KvsCacheTimeoutError) unless every key that failed had a graced entry.
 */
export async function awaitPending(
  plan: CachePlan,
  found: Gathered,
  waiter: LoadWaiter,
  engine: CacheEngine,
): Promise<void> {
  await Promise.all(
    Array.from(found.pending, async ([key, { flight, own }]) => {
      const storeKey = valueKey(plan, key);
      const bytes = found.graced.get(key)?.bytes ?? flight.graced;
      const decode = () => engine.decodeEntry(bytes!, storeKey);
      const graced =
        found.graced.get(key) ?? (bytes && { bytes, value: decode, from: 'store' as const });
      const got: { outcome?: Outcome } = {};
      const value = await waiter.wait(plan, key, flight, graced, (outcome) => {
        got.outcome = outcome;
        return own ? outcome.value : outcome.copy();
      });
      const { outcome } = got;
      found.ready.set(key, { value, copy: outcome === undefined ? decode : () => outcome.copy() });
    }),
  );
}
