import { describeValue } from '../../shared/describe.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { KvsInvalidArgumentError } from '../../store/index.js';

/** Options of a {@link LocalTier}. */
export interface LocalTierOptions {
  /** Most entries held (a whole number >= 1); past it the least recently used go. */
  maxEntries: number;
  /**
   * Most bytes held (a number > 0), counting for each entry its sealed bytes, twice the key's
   * length (UTF-16) and {@link ENTRY_OVERHEAD} for the Map slot and the entry object.
   */
  maxBytes: number;
  /** Milliseconds now, monotonic; default `performance.now`. Inject one in tests. */
  clock?: () => number;
}

/** An entry of the local tier, as `get` and `fill` return it. */
export interface LocalEntry {
  /** The sealed entry as read from or written to the store. */
  readonly bytes: Buffer;
  /** Clock reading from which `get` no longer returns it. */
  readonly expires: number;
  /** A decoded value the engine may keep here (shared mode); the tier never reads it. */
  value?: unknown;
  /** Whether `value` was set. */
  hasValue: boolean;
}

/** What an entry costs beyond its bytes and key: an estimate of the Map slot and the object. */
export const ENTRY_OVERHEAD = 64;

/**
 * How many invalidations the fill guard remembers. A token taken before more invalidations than
 * this (of any keys) can no longer be checked, so `fill` refuses it.
 */
export const INVALIDATION_HISTORY = 1024; // a power of two: slots are picked with a mask

const HISTORY_MASK = INVALIDATION_HISTORY - 1;
const KEY = 0;
const PREFIX = 1; // clear() is the prefix '', which covers every key

const LOCAL_TIER_OPTIONS: OptionNames<LocalTierOptions> = {
  maxEntries: true,
  maxBytes: true,
  clock: true,
};

class Slot implements LocalEntry {
  value: unknown = undefined;
  hasValue = false;
  /** Hit since the evictor last passed over it (second chance). */
  used = false;

  constructor(
    readonly bytes: Buffer,
    readonly expires: number,
    readonly cost: number,
  ) {}
}

/**
 * The in-process tier of the two-tier cache: sealed entry bytes by store key, bounded by entries
 * and by bytes, with no timer. Eviction is second-chance LRU (a hit sets a flag; the evictor walks
 * the Map in insertion order, moving flagged entries to the end once and evicting the others), so
 * a hit is one Map lookup, one clock read, one comparison and one flag write.
 *
 * Coherence rests on the fill guard: take a token with `begin()` before a store read or write
 * whose result may go into the tier, and pass it to `fill`. If any invalidation covering the key
 * (`invalidate`, `invalidatePrefix`, `clear`, a change of `usable`) happened since, `fill` stores
 * nothing, so a read that started before an invalidation arrived cannot put old bytes back.
 * Invalidations are numbered; the last {@link INVALIDATION_HISTORY} are kept in a ring, and a
 * token older than the ring reaches is refused.
 */
export class LocalTier {
  readonly #map = new Map<string, Slot>();
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #usable = true;
  /** Number of the last invalidation; a token is the number current when it was taken. */
  #seq = 0;
  /** Number of the last invalidation of everything. */
  #allSeq = 0;
  readonly #kinds = new Uint8Array(INVALIDATION_HISTORY);
  readonly #texts: string[] = new Array<string>(INVALIDATION_HISTORY).fill('');

  constructor(options: LocalTierOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new KvsInvalidArgumentError(
        `Invalid local tier options: expected an object such as { maxEntries: 10000, maxBytes: 64 * 1024 * 1024 }, got ${describeValue(options)}.`,
      );
    }
    assertKnownKeys('the local tier options', options, LOCAL_TIER_OPTIONS, toInvalid);
    const { maxEntries, maxBytes, clock } = options;
    if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new KvsInvalidArgumentError(
        `Invalid local tier maxEntries: expected a whole number >= 1 such as 10000, got ${describeValue(maxEntries)}.`,
      );
    }
    if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || !(maxBytes > 0)) {
      throw new KvsInvalidArgumentError(
        `Invalid local tier maxBytes: expected a finite number of bytes > 0 such as 67108864 (64 MiB), got ${describeValue(maxBytes)}.`,
      );
    }
    if (clock !== undefined && typeof clock !== 'function') {
      throw new KvsInvalidArgumentError(
        `Invalid local tier clock: expected a function returning monotonic ms (or leave it out for performance.now), got ${describeValue(clock)}.`,
      );
    }
    this.#now = clock ?? performance.now.bind(performance);
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** False while the invalidation channel is down: nothing is held or stored then. */
  get usable(): boolean {
    return this.#usable;
  }

  /**
   * Says whether the invalidation channel is up. Going down clears everything; any change
   * invalidates everything (a token taken before it cannot fill).
   */
  setUsable(up: boolean): void {
    if (typeof up !== 'boolean') {
      throw new KvsInvalidArgumentError(
        `Invalid LocalTier.setUsable argument: expected true or false, got ${describeValue(up)}.`,
      );
    }
    if (up === this.#usable) return;
    this.#usable = up;
    this.clear();
  }

  /** A token for `fill`, taken before the store read or write whose result may fill the tier. */
  begin(): number {
    return this.#seq;
  }

  /**
   * The live entry of `key`, now marked recently used; undefined when missing or expired (an
   * expired one is removed). Nothing is held while not usable, so that needs no check here.
   */
  get(key: string): LocalEntry | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (this.#now() < slot.expires) {
      slot.used = true;
      return slot;
    }
    this.#remove(key, slot);
    return undefined;
  }

  /**
   * Stores `bytes` under `key` for `ttlMs` and returns the entry, replacing any entry of `key`.
   * Stores nothing and returns undefined when not usable, when `ttlMs` is not a finite number
   * > 0, when the entry alone costs more than maxBytes, or when an invalidation covering `key`
   * happened after `token` was taken (or more than {@link INVALIDATION_HISTORY} of any keys did).
   */
  fill(key: string, bytes: Buffer, ttlMs: number, token: number): LocalEntry | undefined {
    if (typeof key !== 'string') {
      throw new KvsInvalidArgumentError(
        `Invalid LocalTier.fill key: expected a string, got ${describeValue(key)}.`,
      );
    }
    if (!Buffer.isBuffer(bytes)) {
      throw new KvsInvalidArgumentError(
        `Invalid LocalTier.fill bytes: expected a Buffer, got ${describeValue(bytes)}.`,
      );
    }
    if (!Number.isSafeInteger(token) || token < 0 || token > this.#seq) {
      throw new KvsInvalidArgumentError(
        `Invalid LocalTier.fill token: expected a number from this tier's begin(), got ${describeValue(token)}.`,
      );
    }
    if (!this.#usable || !(ttlMs > 0) || !Number.isFinite(ttlMs)) return undefined;
    const cost = bytes.byteLength + 2 * key.length + ENTRY_OVERHEAD;
    if (cost > this.#maxBytes || this.#invalidatedSince(key, token)) return undefined;
    const now = this.#now();
    const old = this.#map.get(key);
    if (old !== undefined) this.#remove(key, old);
    this.#makeRoom(cost, now);
    const slot = new Slot(bytes, now + ttlMs, cost);
    this.#map.set(key, slot);
    this.#bytes += cost;
    return slot;
  }

  /** Removes `key`; a fill of it with an earlier token is refused. */
  invalidate(key: string): void {
    this.#record(KEY, key);
    const slot = this.#map.get(key);
    if (slot !== undefined) this.#remove(key, slot);
  }

  /** Removes every key starting with `prefix`; a fill of one with an earlier token is refused. */
  invalidatePrefix(prefix: string): void {
    this.#record(PREFIX, prefix);
    for (const [key, slot] of this.#map) {
      if (key.startsWith(prefix)) this.#remove(key, slot);
    }
  }

  /** Removes everything; no fill with an earlier token succeeds. */
  clear(): void {
    this.#record(PREFIX, '');
    this.#allSeq = this.#seq;
    this.#map.clear();
    this.#bytes = 0;
  }

  /** Entries held (expired ones not yet met included). */
  get size(): number {
    return this.#map.size;
  }

  /** What the entries held cost, in the estimate of {@link LocalTierOptions.maxBytes}. */
  get bytes(): number {
    return this.#bytes;
  }

  toString(): string {
    return `LocalTier(${this.#map.size}/${this.#maxEntries} entries, ${this.#bytes}/${this.#maxBytes} bytes${this.#usable ? '' : ', not usable'})`;
  }

  #remove(key: string, slot: Slot): void {
    this.#map.delete(key);
    this.#bytes -= slot.cost;
  }

  #record(kind: number, text: string): void {
    if (typeof text !== 'string') {
      throw new KvsInvalidArgumentError(
        `Invalid LocalTier invalidation: expected a string key or prefix, got ${describeValue(text)}.`,
      );
    }
    const seq = ++this.#seq;
    this.#kinds[seq & HISTORY_MASK] = kind;
    this.#texts[seq & HISTORY_MASK] = text;
  }

  /** Whether an invalidation after `token` covers `key`; true when the ring no longer reaches it. */
  #invalidatedSince(key: string, token: number): boolean {
    const last = this.#seq;
    if (token === last) return false;
    if (this.#allSeq > token || last - token > INVALIDATION_HISTORY) return true;
    for (let seq = last; seq > token; seq--) {
      const text = this.#texts[seq & HISTORY_MASK]!;
      if (this.#kinds[seq & HISTORY_MASK] === KEY ? text === key : key.startsWith(text))
        return true;
    }
    return false;
  }

  /**
   * Evicts until an entry of `cost` fits in both bounds: walks the Map in insertion order,
   * dropping expired and unflagged entries and moving flagged ones to the end, unflagged.
   */
  #makeRoom(cost: number, now: number): void {
    const map = this.#map;
    if (map.size < this.#maxEntries && this.#bytes + cost <= this.#maxBytes) return;
    for (const [key, slot] of map) {
      this.#remove(key, slot);
      if (slot.used && now < slot.expires) {
        slot.used = false;
        map.set(key, slot);
        this.#bytes += slot.cost;
      }
      if (map.size < this.#maxEntries && this.#bytes + cost <= this.#maxBytes) return;
    }
  }
}

function toInvalid(message: string): Error {
  return new KvsInvalidArgumentError(message);
}
