import type { ThrottlerStorage } from '@nestjs/throttler';
import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError, KvsValueTypeError, type KvsStore } from '../../store/index.js';
import {
  assertKvsStore,
  evalNumbers,
  storeKind,
  supportsScripts,
  type ScriptStore,
} from '../../store/kvs.backend.js';
import { MemoryThrottles } from './throttler.memory.js';
import type { ThrottlerRecord } from './throttler.record.js';
import { THROTTLE } from './throttler.script.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { toInvalid } from '../../store/kvs.errors.js';

/** Options of {@link KvsThrottlerStorage}. */
export interface KvsThrottlerStorageOptions {
  /** Prepended to the Redis keys: `<prefix>{<key>}:<throttler>:h|s`. Default `'throttler:'`. */
  prefix?: string;
  /**
   * Milliseconds since the epoch, for tests that move time. Default: the Redis server's clock on
   * Redis (so app servers' clocks never matter), `Date.now` in memory.
   */
  clock?: () => number;
  /** Memory only: most keys tracked; past it the least recently used is forgotten. Default 100000. */
  maxKeys?: number;
}

/** Option names of KvsThrottlerStorage, checked at runtime. */
const STORAGE_OPTIONS: OptionNames<KvsThrottlerStorageOptions> = {
  prefix: true,
  clock: true,
  maxKeys: true,
};

/**
 * @nestjs/throttler's `ThrottlerStorage` on a nestjs-kvs store, with throttler's own semantics
 * (sliding log of hits, blocking, `timeToExpire` and `timeToBlockExpire` in seconds). On Redis
 * each decision is one Lua script, atomic across every instance of the app; on the memory store
 * it is a synchronous step in this process. Pass it as `storage` to `ThrottlerModule.forRoot()`.
 */
export class KvsThrottlerStorage implements ThrottlerStorage {
  readonly #redis: ScriptStore | undefined;
  readonly #memory: MemoryThrottles | undefined;
  readonly #prefix: string;
  readonly #clock: (() => number) | undefined;

  /** `store`: a Redis or memory store, e.g. `app.get(KVS_STORE)`. */
  constructor(store: KvsStore, options: KvsThrottlerStorageOptions = {}) {
    assertKvsStore(store, 'KvsThrottlerStorage');
    assertKnownKeys('the KvsThrottlerStorage options', options, STORAGE_OPTIONS, toInvalid);
    const { prefix = 'throttler:', clock, maxKeys = 100_000 } = options;
    if (typeof prefix !== 'string') {
      throw new KvsInvalidArgumentError(
        `Invalid KvsThrottlerStorage prefix: expected a string such as 'throttler:', got ${typeof prefix}.`,
      );
    }
    if (clock !== undefined && typeof clock !== 'function') {
      throw new KvsInvalidArgumentError(
        'Invalid KvsThrottlerStorage clock: expected a function returning epoch ms, such as Date.now.',
      );
    }
    if (!(Number.isSafeInteger(maxKeys) && maxKeys >= 1)) {
      throw new KvsInvalidArgumentError(
        `Invalid KvsThrottlerStorage maxKeys: expected a whole number >= 1, got ${describeValue(maxKeys)}.`,
      );
    }
    if (supportsScripts(store)) this.#redis = store;
    else if (storeKind(store) === 'memory') this.#memory = new MemoryThrottles(maxKeys);
    else {
      throw new KvsInvalidArgumentError(
        'KvsThrottlerStorage needs a RedisStore (shared by every instance) or a MemoryStore (this process only), such as the store KvsModule registers (KVS_STORE).',
      );
    }
    this.#prefix = prefix;
    this.#clock = clock;
  }

  /**
   * Counts a hit of `key` for `throttlerName` and decides. `ttl` and `blockDuration` in ms; the
   * record's `timeToExpire` and `timeToBlockExpire` in seconds, as the guard expects.
   */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord> {
    const ttlMs = toMs('ttl', ttl, false);
    const blockMs = toMs('blockDuration', blockDuration, true);
    if (typeof limit !== 'number' || Number.isNaN(limit)) {
      throw new KvsInvalidArgumentError(
        `Invalid throttler limit: expected a number of requests, got ${describeValue(limit)}.`,
      );
    }
    if (this.#memory !== undefined) {
      const now = (this.#clock ?? Date.now)();
      return this.#memory.increment(`${throttlerName}\u0000${key}`, now, ttlMs, limit, blockMs);
    }
    const base = `${this.#prefix}{${key}}:${throttlerName}`;
    const now = this.#clock === undefined ? '' : Math.floor(this.#clock());
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = (await evalNumbers(
      this.#redis!,
      THROTTLE,
      [`${base}:h`, `${base}:s`],
      [ttlMs, limit, blockMs, now],
      4,
      () =>
        new KvsValueTypeError(
          'Unexpected reply from the throttler script; another program may be writing to its keys. Give KvsThrottlerStorage its own prefix.',
        ),
    )) as [number, number, number, number];
    return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
  }
}

/** A duration in whole ms: finite and > 0 (or >= 0 when `zeroOk`), rounded up. */
function toMs(name: string, value: unknown, zeroOk: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!zeroOk && value === 0)
  ) {
    throw new KvsInvalidArgumentError(
      `Invalid throttler ${name}: expected a finite number of milliseconds ${zeroOk ? '>= 0' : '> 0'}, got ${describeValue(value)}. Throttler 6 takes ms (e.g. ttl: 60_000).`,
    );
  }
  return Math.ceil(value);
}
