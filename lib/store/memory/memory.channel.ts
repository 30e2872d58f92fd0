import type { KvsChannel, KvsChannelHandler, KvsSubscription } from '../kvs.channel.js';
import { Subscriptions } from '../channel/channel.subscriptions.js';

/**
 * The memory store's channel: messages between the users of one MemoryStore object in this
 * process (e.g. several FeatureFlags on one store). It is always up; a message is delivered in a
 * microtask, as a copy (JSON), like one that went through Redis.
 */
export class MemoryChannel implements KvsChannel {
  readonly #subs: Subscriptions;
  #closed = false;

  constructor() {
    this.#subs = new Subscriptions({
      send: (payload) => {
        if (this.#closed) return Promise.resolve(false);
        queueMicrotask(() => this.#subs.deliver(payload));
        return Promise.resolve(true);
      },
      // Every write goes through this store object: there is no outside writer to report.
      track: () => Promise.resolve(),
      idle: () => undefined,
    });
    this.#subs.setUp(true);
  }

  subscribe(handler: KvsChannelHandler): KvsSubscription {
    return this.#subs.add(handler);
  }

  /** The store closed: nothing is sent any more. */
  close(): void {
    this.#closed = true;
  }
}
