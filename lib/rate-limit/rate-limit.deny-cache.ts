import { BoundedMap } from '../shared/bounded-map.js';
import { channelOf, type KvsSubscription } from '../store/kvs.channel.js';
import type { KvsStore } from '../store/index.js';
import type { CounterRequest } from './backends/index.js';
import type { RateLimitDecision } from './rate-limit.interfaces.js';

/** The channel topic of the deny cache's invalidations: `{ clear: [baseKey, ...] }`. */
export const DENY_TOPIC = 'ratelimit';

/** Keys whose refusals are kept per limiter (least recently used go first). */
const MAX_KEYS = 10_000;

interface Entry {
  /** Local clock reading until which the store would refuse this request again. */
  until: number;
  /** When the refusal was stored, and the refusal itself (times relative to then). */
  at: number;
  decision: RateLimitDecision;
  bases: readonly string[];
}

/**
 * Refusals known to hold until a time, so a flood on one key is refused in process, without a
 * store round trip, until the store could admit it again. An entry is a decision's counters and
 * cost; its time is the store's Retry-After counted from when the request was sent, so it never
 * refuses longer than the store would. Only spending can make a refusal last longer, and only a
 * reset, refund or lockout shorter: those clear the entries of their key here and, over the
 * store's channel, on every instance. While the channel is down (messages could be lost) the
 * cache is emptied and unused; a store without a channel hears only this instance's changes.
 */
export class DenyCache {
  /** Lockout key (one per key) -> the refusals counting under it, by signature. */
  #byBase = newMap();
  readonly #subscription: KvsSubscription | undefined;

  constructor(
    store: KvsStore,
    private readonly clock: () => number,
  ) {
    this.#subscription = channelOf(store)?.subscribe({
      message: (topic, data) => {
        const clear = (data as { clear?: unknown } | null)?.clear;
        if (topic === DENY_TOPIC && Array.isArray(clear)) this.clear(clear as string[]);
      },
      state: () => this.#clearAll(),
    });
    this.#subscription?.ready.catch(() => undefined); // `up` stays false: the cache stays unused
  }

  /** False while the channel is down: nothing is cached or answered then. */
  get usable(): boolean {
    return this.#subscription === undefined || this.#subscription.up;
  }

  /** The key of a decision in the cache: its counters, their limits and the cost. */
  signature(requests: readonly CounterRequest[]): string {
    let s = '';
    for (const { key, policy, cost } of requests) {
      s += `${key}|${policy.limit}|${policy.window}|${cost}\n`;
    }
    return s;
  }

  /** The cached refusal of `requests`, its times counted down to now; undefined if none. */
  lookup(requests: readonly CounterRequest[], signature: string): RateLimitDecision | undefined {
    if (!this.usable) return undefined;
    const entry = this.#byBase.get(requests[0]!.blockKey)?.get(signature);
    if (entry === undefined) return undefined;
    const now = this.clock();
    if (entry.until <= now) return undefined;
    const elapsed = now - entry.at;
    const down = (ms: number) => Math.max(0, Math.ceil(ms - elapsed));
    const d = entry.decision;
    return {
      ...d,
      resetMs: down(d.resetMs),
      retryAfterMs: Math.ceil(entry.until - now),
      policies: d.policies.map((p) => ({
        ...p,
        resetMs: down(p.resetMs),
        retryAfterMs: down(p.retryAfterMs),
      })),
    };
  }

  /** Remembers a refusal of `requests`, sent to the store at `sentAt` (local clock). */
  remember(
    requests: readonly CounterRequest[],
    signature: string,
    d: RateLimitDecision,
    sentAt: number,
  ): void {
    if (!this.usable || d.allowed || d.retryAfterMs <= 0) return;
    const bases = [...new Set(requests.map((r) => r.blockKey))];
    const entry: Entry = { until: sentAt + d.retryAfterMs, at: sentAt, decision: d, bases };
    this.#byBase.sweep(this.clock(), 4);
    for (const base of bases) {
      let entries = this.#byBase.get(base);
      if (entries === undefined) this.#byBase.set(base, (entries = new Map<string, Entry>()));
      entries.set(signature, entry);
    }
  }

  /** Forgets every refusal that counts under one of `blockKeys` (the keys' lockout keys). */
  clear(blockKeys: readonly string[]): void {
    for (const base of blockKeys) {
      const entries = this.#byBase.get(base);
      if (entries === undefined) continue;
      this.#byBase.delete(base);
      for (const [signature, entry] of entries) {
        for (const other of entry.bases) this.#byBase.get(other)?.delete(signature);
      }
    }
  }

  /** Clears `blockKeys` here and on every instance that shares the store's channel. */
  async clearEverywhere(blockKeys: readonly string[]): Promise<void> {
    this.clear(blockKeys);
    await this.#subscription?.publish(DENY_TOPIC, { clear: blockKeys });
  }

  close(): void {
    this.#subscription?.close();
    this.#clearAll();
  }

  #clearAll(): void {
    this.#byBase = newMap();
  }
}

/** A key's entries are dead once all of them expired. */
function newMap(): BoundedMap<string, Map<string, Entry>> {
  return new BoundedMap(MAX_KEYS, (entries, now) => {
    for (const e of entries.values()) if (e.until > now) return false;
    return true;
  });
}
