import { BoundedMap } from '../../shared/bounded-map.js';
import type { KvsStore } from '../../store/index.js';
import type { CounterState, NextState } from './memory.algorithms.js';

/** A counter's state and the clock reading at which it no longer matters. */
export interface Counter extends CounterState {
  expiresAt: number;
}

const isExpired = (counter: Counter, now: number): boolean => counter.expiresAt <= now;

/**
 * The counters of one memory store: a {@link BoundedMap} in least-recently-used order (a counter
 * moves to the end when used), bounded by `maxKeys` (the least recently used counter goes first),
 * with expired counters reclaimed a few at a time by every decision. No timer at all.
 */
export class MemoryCounters {
  #map: BoundedMap<string, Counter>;

  constructor(readonly maxKeys: number) {
    this.#map = new BoundedMap(maxKeys, isExpired);
  }

  /** Drops every counter. */
  clear(): void {
    this.#map = new BoundedMap(this.maxKeys, isExpired);
  }

  /** Counters held, including expired ones not yet reclaimed. */
  get size(): number {
    return this.#map.size;
  }

  /** The live counter of `key`, marked as recently used; undefined if missing or expired. */
  get(key: string, now: number): Counter | undefined {
    const counter = this.#map.get(key);
    if (counter !== undefined && isExpired(counter, now)) {
      this.#map.delete(key);
      return undefined;
    }
    return counter;
  }

  /** Stores a new state for `key`, updating `existing` in place when there is one. */
  put(key: string, existing: Counter | undefined, next: NextState, now: number): void {
    const expiresAt = now + Math.max(1, Math.ceil(next.ttl));
    if (existing !== undefined) {
      existing.a = next.a;
      existing.b = next.b;
      existing.c = next.c;
      existing.expiresAt = expiresAt;
      return;
    }
    this.#map.set(key, { a: next.a, b: next.b, c: next.c, expiresAt });
  }

  /** Removes `key`'s counter. */
  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Examines up to `budget` counters, continuing where the last call stopped; returns how many it removed. */
  sweep(now: number, budget: number): number {
    return this.#map.sweep(now, budget);
  }
}

const countersByStore = new WeakMap<KvsStore, MemoryCounters>();

/**
 * The counters of `store`, created on first use with `maxKeys` (later callers share them as they
 * are). Keyed weakly, so they go when the store does.
 */
export function memoryCountersOf(store: KvsStore, maxKeys: number): MemoryCounters {
  let counters = countersByStore.get(store);
  if (counters === undefined) {
    counters = new MemoryCounters(maxKeys);
    countersByStore.set(store, counters);
  }
  return counters;
}
