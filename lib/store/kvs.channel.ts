/**
 * A store's invalidation channel: messages between the application instances that share one
 * store (Redis pub/sub on the store's own server; in process for the memory store), so that a
 * change made on one instance reaches the in-process copies of the others within milliseconds.
 * The cache's local tier, FeatureFlags and the rate limiter's deny cache share it.
 *
 * Delivery is at most once: a message published while a subscription is down is lost. A
 * subscription therefore says when it goes down and comes back (`state`), and its users drop
 * what they hold in process at that point, so nothing that could have missed a message is used.
 */

/** What a subscription hears. */
export interface KvsChannelHandler {
  /** A message another subscription published (never one of this subscription's own). */
  message(topic: string, data: unknown): void;
  /**
   * The subscription went down (false) or is subscribed again (true). Messages sent while it was
   * down are lost: drop what relies on them. Called only on a change.
   */
  state(up: boolean): void;
  /**
   * Server-assisted invalidation (`track`): the keys (without the store's keyPrefix) that anyone
   * changed, including writes from outside the application; `null` when the database was flushed.
   */
  invalidated?(keys: readonly string[] | null): void;
}

/** One user's subscription to a store's channel. */
export interface KvsSubscription {
  /** True while subscribed: messages are then delivered. */
  readonly up: boolean;
  /**
   * Settles when the subscription is first up; rejects (KvsConnectionError, or an error naming
   * what the server cannot do, e.g. tracking before Redis 6) when it cannot get there.
   */
  readonly ready: Promise<void>;
  /**
   * Sends `data` (anything JSON can hold) under `topic` to every other subscription of the
   * store. Resolves true once the server took it, false when it could not be sent (the store is
   * down or closed); never rejects.
   */
  publish(topic: string, data: unknown): Promise<boolean>;
  /**
   * Asks the server to report every change of a key starting with `prefix` (without keyPrefix)
   * to `invalidated`. Resolves once it does; rejects when the server cannot (Redis < 6, Cluster).
   */
  track(prefix: string): Promise<void>;
  /** Stops listening; idempotent. */
  close(): void;
}

/** A store that has a channel: the built-in memory and Redis stores. */
export interface KvsChannel {
  subscribe(handler: KvsChannelHandler): KvsSubscription;
}

/** The channel of `store`, or undefined for a store without one (a store of your own). */
export function channelOf(store: unknown): KvsChannel | undefined {
  let channel: unknown;
  try {
    channel = (store as { channel?: unknown } | null)?.channel;
  } catch {
    // A wrapper (a Proxy, an object made with Object.create) around a store whose getter reads
    // private state: it has no channel of its own.
    return undefined;
  }
  return typeof (channel as KvsChannel | undefined)?.subscribe === 'function'
    ? (channel as KvsChannel)
    : undefined;
}
