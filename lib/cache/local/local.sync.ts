import type { KvsChannelHandler, KvsSubscription, KvsChannel } from '../../store/kvs.channel.js';
import type { CacheCounters } from '../cache.stats.js';
import { LocalTier } from './local.tier.js';
import {
  cacheInvalidationsReceived,
  cacheInvalidationsSent,
} from '../../telemetry/telemetry.hooks.js';
import type { LocalSettings } from './local.options.js';

/** The channel topic of the cache's invalidations. */
export const CACHE_TOPIC = 'cache';

/** What an invalidation message carries: store keys, and store key prefixes. */
interface Invalidation {
  readonly k?: readonly string[];
  readonly p?: readonly string[];
}

/** Whether the local tier may serve a namespace: at once, or once Redis tracks its keys. */
export interface LocalReadiness {
  ready: boolean;
}

/**
 * The local tier of one store, kept coherent over the store's channel: what another instance
 * writes or evicts through the library (and, with tracking, what anyone changes in Redis) leaves
 * this tier; while the channel is down the tier is empty and unused, so nothing that could have
 * missed an invalidation is served.
 */
export class LocalSync implements KvsChannelHandler {
  readonly tier: LocalTier;
  readonly #sub: KvsSubscription;
  readonly #namespaces = new Map<string, LocalReadiness>();
  /** Invalidations published in this turn of the event loop, sent together at its end. */
  #pendingKeys: string[] = [];
  #pendingPrefixes: string[] = [];
  #flush: ReturnType<typeof setImmediate> | undefined;

  constructor(
    channel: KvsChannel,
    readonly settings: LocalSettings,
    private readonly stats: CacheCounters,
    private readonly onTrackingError: (namespace: string, err: unknown) => void,
  ) {
    this.tier = new LocalTier({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes });
    this.#sub = channel.subscribe(this);
    this.tier.setUsable(this.#sub.up);
  }

  /** Settles once the channel is up; rejects when it cannot come up. */
  get ready(): Promise<void> {
    return this.#sub.ready;
  }

  /**
   * Whether the tier serves `namespace` yet. With tracking, not before Redis reports its keys'
   * changes; `track()` of the module's namespace is awaited at startup, others' on first use.
   */
  readiness(namespace: string): LocalReadiness {
    let readiness = this.#namespaces.get(namespace);
    if (readiness === undefined) {
      readiness = { ready: !this.settings.tracking };
      this.#namespaces.set(namespace, readiness);
      if (this.settings.tracking) {
        const r = readiness;
        this.track(namespace).then(
          () => (r.ready = true),
          (err: unknown) => this.onTrackingError(namespace, err),
        );
      }
    }
    return readiness;
  }

  /** Asks Redis to report changes of the namespace's entries. */
  track(namespace: string): Promise<void> {
    return this.#sub.track(`${namespace}:`);
  }

  /**
   * Tells the other instances that these store keys / prefixes changed (after the store step).
   * What is published in one turn of the event loop leaves as one message (one PUBLISH), at the
   * end of that turn: concurrent writes then cost one command between them, not one each.
   */
  publish(keys: readonly string[], prefixes: readonly string[] = []): void {
    this.#pendingKeys.push(...keys);
    this.#pendingPrefixes.push(...prefixes);
    this.#flush ??= setImmediate(() => this.#send());
  }

  #send(): void {
    this.#flush = undefined;
    const keys = [...new Set(this.#pendingKeys)];
    const prefixes = [...new Set(this.#pendingPrefixes)];
    this.#pendingKeys = [];
    this.#pendingPrefixes = [];
    const message: Invalidation = {
      ...(keys.length > 0 ? { k: keys } : {}),
      ...(prefixes.length > 0 ? { p: prefixes } : {}),
    };
    void this.#sub.publish(CACHE_TOPIC, message).then((sent) => {
      if (!sent) return;
      this.stats.invalidationsSent += keys.length + prefixes.length;
      cacheInvalidationsSent('', keys.length + prefixes.length); // messages name store keys only
    });
  }

  message(topic: string, data: unknown): void {
    if (topic !== CACHE_TOPIC || typeof data !== 'object' || data === null) return;
    const { k, p } = data as Invalidation;
    let n = 0;
    for (const key of Array.isArray(k) ? k : []) {
      if (typeof key !== 'string') continue;
      this.tier.invalidate(key);
      n++;
    }
    for (const prefix of Array.isArray(p) ? p : []) {
      if (typeof prefix !== 'string') continue;
      this.tier.invalidatePrefix(prefix);
      n++;
    }
    this.stats.invalidationsReceived += n;
    cacheInvalidationsReceived('', n);
  }

  state(up: boolean): void {
    this.tier.setUsable(up);
  }

  invalidated(keys: readonly string[] | null): void {
    if (keys === null) {
      this.tier.clear();
      this.stats.invalidationsReceived++;
      cacheInvalidationsReceived('', 1);
      return;
    }
    for (const key of keys) this.tier.invalidate(key);
    this.stats.invalidationsReceived += keys.length;
    cacheInvalidationsReceived('', keys.length);
  }

  close(): void {
    if (this.#flush !== undefined) {
      clearImmediate(this.#flush);
      this.#send(); // the last writes' invalidations still go out
    }
    this.#sub.close();
    this.tier.setUsable(false);
  }
}
