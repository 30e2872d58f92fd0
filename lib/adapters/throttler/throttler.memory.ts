import type { ThrottlerRecord } from './throttler.record.js';

/** The throttling state of one key and throttler. */
interface Throttle {
  /** When each counted hit expires (clock ms); at most `limit + 1` of them. */
  hits: number[];
  /** End of the reporting window (`timeToExpire`). */
  windowEnd: number;
  /** End of the block; 0 = not blocked. */
  blockEnd: number;
}

/** Records examined per call to find idle ones, so no timer is needed. */
const SWEEP_STEP = 16;

/**
 * The in-process twin of the Redis script (same algorithm, same results): synchronous, hence
 * atomic; no timer per hit; idle keys are dropped a few per call, and past `maxKeys` the least
 * recently used key is forgotten.
 */
export class MemoryThrottles {
  readonly #throttles = new Map<string, Throttle>();
  readonly #maxKeys: number;
  #cursor: Iterator<[string, Throttle]> | undefined;

  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#throttles.size;
  }

  /** One decision; mirrors THROTTLE in throttler.script.ts line for line. */
  increment(key: string, now: number, ttl: number, limit: number, block: number): ThrottlerRecord {
    this.#sweep(now);
    const t = this.#throttles.get(key) ?? { hits: [], windowEnd: 0, blockEnd: 0 };
    this.#throttles.delete(key); // re-inserted last: Map order is recency
    this.#throttles.set(key, t);
    if (this.#throttles.size > this.#maxKeys) this.#evictOldest();

    t.hits = t.hits.filter((expiry) => expiry > now);
    if (t.windowEnd <= now) t.windowEnd = now + ttl;
    let blocked: boolean;
    let retry = 0;
    let totalHits = t.hits.length;
    if (block <= 0) {
      blocked = totalHits >= limit;
      if (blocked) {
        totalHits++;
        retry = Math.ceil(((t.hits.length > 0 ? earliest(t.hits) : t.windowEnd) - now) / 1000);
      } else {
        t.hits.push(now + ttl);
        totalHits++;
      }
    } else {
      if (t.blockEnd > 0 && t.blockEnd <= now) {
        t.blockEnd = 0; // the block is over: count again from zero
        t.hits = [];
        totalHits = 0;
      }
      blocked = t.blockEnd > 0;
      if (!blocked) {
        t.hits.push(now + ttl);
        totalHits++;
        if (totalHits > limit) {
          blocked = true;
          t.blockEnd = now + block;
        }
      }
      if (blocked) retry = Math.ceil((t.blockEnd - now) / 1000);
    }
    return {
      totalHits,
      timeToExpire: Math.ceil((t.windowEnd - now) / 1000),
      isBlocked: blocked,
      timeToBlockExpire: retry,
    };
  }

  /** Drops a few idle records (no live hit, window and block over), resuming where it stopped. */
  #sweep(now: number): void {
    this.#cursor ??= this.#throttles.entries();
    for (let i = 0; i < SWEEP_STEP; i++) {
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        return;
      }
      const [key, t] = next.value;
      const idle =
        t.windowEnd <= now && t.blockEnd <= now && t.hits.every((expiry) => expiry <= now);
      if (idle) this.#throttles.delete(key);
    }
  }

  #evictOldest(): void {
    const oldest = this.#throttles.keys().next();
    if (oldest.done !== true) this.#throttles.delete(oldest.value);
  }
}

function earliest(times: number[]): number {
  let min = Infinity;
  for (const time of times) if (time < min) min = time;
  return min;
}
