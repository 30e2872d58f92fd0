import { randomBytes } from 'node:crypto';
import type { KvsChannelHandler, KvsSubscription } from '../kvs.channel.js';

/** The wire form of a message: who sent it, under which topic, and what. */
export interface Envelope {
  /** The sending subscription's id: its own messages are not delivered back to it. */
  readonly o: string;
  readonly t: string;
  readonly d: unknown;
}

/** What a backend's channel does for its subscriptions. */
export interface ChannelTransport {
  /** Sends an envelope (already JSON); resolves true once the server took it. */
  send(payload: string): Promise<boolean>;
  /** Asks for server-assisted invalidation of keys under `prefix` (without keyPrefix). */
  track(prefix: string): Promise<void>;
  /** The last subscription closed. */
  idle(): void;
}

/**
 * The subscriptions of one store's channel, and the delivery of messages and state changes to
 * them. A backend (memory, Redis) owns one and tells it what arrived and when it went up or down.
 */
export class Subscriptions {
  readonly #subs = new Set<Subscription>();
  #up = false;
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #failure: Error | undefined;

  constructor(private readonly transport: ChannelTransport) {}

  get up(): boolean {
    return this.#up;
  }

  get size(): number {
    return this.#subs.size;
  }

  add(handler: KvsChannelHandler): KvsSubscription {
    const sub = new Subscription(this, this.transport, handler);
    this.#subs.add(sub);
    return sub;
  }

  remove(sub: Subscription): void {
    if (this.#subs.delete(sub) && this.#subs.size === 0) this.transport.idle();
  }

  /** Resolves once the channel is up; rejects with the failure that keeps it down for good. */
  whenUp(): Promise<void> {
    if (this.#up) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The channel went up or down; subscriptions hear of it once per change. */
  setUp(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    if (up) this.#failure = undefined;
    const waiters = up ? this.#waiters.splice(0) : [];
    for (const sub of [...this.#subs]) sub.notify(up);
    for (const w of waiters) w.resolve();
  }

  /** The channel cannot come up (refused, closed): pending `ready` promises reject with `err`. */
  fail(err: Error): void {
    this.#failure = err;
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** Delivers a received envelope (JSON text) to every subscription but its sender. */
  deliver(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (typeof envelope?.o !== 'string' || typeof envelope.t !== 'string') return;
    for (const sub of [...this.#subs]) {
      if (sub.id !== envelope.o) sub.receive(envelope.t, envelope.d);
    }
  }

  /** Tracked keys changed (`null`: everything). */
  invalidated(keys: readonly string[] | null): void {
    for (const sub of [...this.#subs]) sub.invalidated(keys);
  }
}

class Subscription implements KvsSubscription {
  readonly id = randomBytes(9).toString('base64url');
  #closed = false;
  #ready: Promise<void> | undefined;

  constructor(
    private readonly subs: Subscriptions,
    private readonly transport: ChannelTransport,
    private readonly handler: KvsChannelHandler,
  ) {}

  get up(): boolean {
    return !this.#closed && this.subs.up;
  }

  get ready(): Promise<void> {
    this.#ready ??= this.subs.whenUp();
    return this.#ready;
  }

  async publish(topic: string, data: unknown): Promise<boolean> {
    if (this.#closed) return false;
    let payload: string;
    try {
      payload = JSON.stringify({ o: this.id, t: topic, d: data } satisfies Envelope);
    } catch {
      return false;
    }
    return this.transport.send(payload);
  }

  track(prefix: string): Promise<void> {
    return this.transport.track(prefix);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.subs.remove(this);
  }

  notify(up: boolean): void {
    if (!this.#closed) this.handler.state(up);
  }

  receive(topic: string, data: unknown): void {
    if (!this.#closed) this.handler.message(topic, data);
  }

  invalidated(keys: readonly string[] | null): void {
    if (!this.#closed) this.handler.invalidated?.(keys);
  }
}
