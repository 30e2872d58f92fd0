import { BoundedMap } from '../../shared/bounded-map.js';
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

/** No live hit, and the window and the block are over: the record can go. */
const isIdle = (t: Throttle, now: number): boolean =>
  t.windowEnd <= now && t.blockEnd <= now && t.hits.every((expiry) => expiry <= now);

/**
 * The in-process twin of the Redis script (same algorithm, same results): synchronous, hence
 * atomic; no timer per hit; idle keys are dropped a few per call, and past `maxKeys` the least
 * recently used key is forgotten.
 */
export class MemoryThrottles {
  readonly #throttles: BoundedMap<string, Throttle>;

  constructor(maxKeys: number) {
    this.#throttles = new BoundedMap(maxKeys, isIdle);
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#throttles.size;
  }

  /** One decision; mirrors THROTTLE in throttler.script.ts line for line. */
  increment(key: string, now: number, ttl: number, limit: number, block: number): ThrottlerRecord {
    this.#throttles.sweep(now, SWEEP_STEP);
    let t = this.#throttles.get(key); // now the most recently used
    if (t === undefined) {
      t = { hits: [], windowEnd: 0, blockEnd: 0 };
      this.#throttles.set(key, t); // past maxKeys, the least recently used key goes
    }

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
}

function earliest(times: number[]): number {
  let min = Infinity;
  for (const time of times) if (time < min) min = time;
  return min;
}
