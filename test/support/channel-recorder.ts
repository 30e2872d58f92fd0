import type { KvsChannelHandler } from '../../lib/store/kvs.channel.js';

/** One thing a subscription heard. */
export type Heard =
  | { kind: 'message'; topic: string; data: unknown }
  | { kind: 'state'; up: boolean }
  | { kind: 'invalidated'; keys: readonly string[] | null };

/** A channel handler that records what it hears and lets a test wait for it (no sleeps). */
export class ChannelRecorder implements KvsChannelHandler {
  readonly heard: Heard[] = [];
  #waiters: { test: (h: Heard) => boolean; resolve: (h: Heard) => void }[] = [];

  message(topic: string, data: unknown): void {
    this.#push({ kind: 'message', topic, data });
  }

  state(up: boolean): void {
    this.#push({ kind: 'state', up });
  }

  invalidated(keys: readonly string[] | null): void {
    this.#push({ kind: 'invalidated', keys });
  }

  /** Resolves with the first thing heard (already or later) that passes `test`; fails after `ms`. */
  next(test: (h: Heard) => boolean, ms = 10_000): Promise<Heard> {
    const found = this.heard.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not heard within ${ms} ms; heard ${JSON.stringify(this.heard)}`)),
        ms,
      );
      this.#waiters.push({
        test,
        resolve: (h) => {
          clearTimeout(timer);
          resolve(h);
        },
      });
    });
  }

  /** Forgets what was heard so far. */
  clear(): void {
    this.heard.length = 0;
  }

  #push(h: Heard): void {
    this.heard.push(h);
    for (const w of [...this.#waiters]) {
      if (w.test(h)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(h);
      }
    }
  }
}

export const isMessage =
  (topic: string) =>
  (h: Heard): boolean =>
    h.kind === 'message' && h.topic === topic;
export const isState =
  (up: boolean) =>
  (h: Heard): boolean =>
    h.kind === 'state' && h.up === up;
export const isInvalidation = (key: string | null) => (h: Heard) =>
  h.kind === 'invalidated' && (key === null ? h.keys === null : (h.keys ?? []).includes(key));
