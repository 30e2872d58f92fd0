/**
 * In-memory maps that stay bounded without a timer: an incremental sweep of dead entries, and a
 * Map in recency order capped at `maxKeys`. They serve every in-process counter map: the rate
 * limiter's memory counters, the throttler adapter's memory throttles, and (the sweep only) the
 * MemoryStore.
 */

/** Says whether an entry can go at clock reading `now` (expired, idle). */
export type IsDead<V> = (value: V, now: number) => boolean;

/**
 * A sweep over a Map that examines a few entries per call, continuing where the last call
 * stopped (from the start again once it reached the end), and deletes the dead ones. Called
 * often enough, it reclaims dead entries at any rate of new keys; no timer, no pause.
 */
export class MapSweep<K, V> {
  #cursor: Iterator<[K, V]> | undefined;

  constructor(
    private readonly map: Map<K, V>,
    private readonly isDead: IsDead<V>,
  ) {}

  /** Examines up to `budget` entries at `now`; returns how many it deleted. */
  run(now: number, budget: number): number {
    let removed = 0;
    this.#cursor ??= this.map.entries();
    for (let examined = 0; examined < budget; examined++) {
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        break;
      }
      const [key, value] = next.value;
      if (this.isDead(value, now)) {
        this.map.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Starts the next run from the first entry (after the map was cleared, say). */
  restart(): void {
    this.#cursor = undefined;
  }
}

/**
 * A Map in least-recently-used order (reading or writing an entry makes it the most recent),
 * holding at most `maxKeys` entries: past that, the least recently used one goes. `sweep` reclaims
 * dead entries a few at a time (see {@link MapSweep}).
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly #sweep: MapSweep<K, V>;

  constructor(
    readonly maxKeys: number,
    isDead: IsDead<V>,
  ) {
    this.#sweep = new MapSweep(this.#map, isDead);
  }

  /** Entries held, dead ones not yet swept included. */
  get size(): number {
    return this.#map.size;
  }

  /** The value of `key`, now the most recently used entry; undefined when missing. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key); // re-inserted last: Map order is recency
      this.#map.set(key, value);
    }
    return value;
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used past `maxKeys`. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.maxKeys) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  /** Removes `key`; true when it was there. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Examines up to `budget` entries for dead ones at `now`, resuming where it stopped; returns how many it removed. */
  sweep(now: number, budget: number): number {
    return this.#sweep.run(now, budget);
  }
}
