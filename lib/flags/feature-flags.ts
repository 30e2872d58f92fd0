import {
  channelOf,
  KvsInvalidArgumentError,
  type KvsStore,
  type KvsSubscription,
} from '../store/index.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { toInvalid } from '../store/kvs.errors.js';

/** A flag's value: anything JSON can hold. */
export type FlagValue =
  boolean | number | string | null | FlagValue[] | { [key: string]: FlagValue };

/** Options of {@link FeatureFlags}. */
export interface FeatureFlagsOptions<F extends Record<string, FlagValue>> {
  /** Every flag with the value it has until someone sets it. Unknown names are rejected. */
  defaults: F;
  /** Key prefix of the flags in the store. Default 'flag:'. */
  prefix?: string;
  /** How long a value read from the store is reused before reading it again, in ms. Default 1000. */
  refreshMs?: number;
  /**
   * The most a call waits for the store, in ms (real time), before it serves the last value read
   * (or the default); the read goes on in the background. Default 150.
   */
  timeout?: number;
  /** Milliseconds now, for `refreshMs` (inject one in tests). */
  clock?: () => number;
  /**
   * Hear of `set` and `reset` on other instances over the store's channel (Redis pub/sub, the
   * connection the cache's local tier uses too), so a change is seen within milliseconds; polling
   * every `refreshMs` stays the fallback. Default true (on stores with a channel).
   */
  live?: boolean;
}

interface Cached {
  value: FlagValue;
  readAt: number;
  /** The `#writes` count when `set` or `reset` stored this value; 0 for a value read. */
  written: number;
}

/** Option names of FeatureFlags, checked at runtime. */
const FLAG_OPTIONS: OptionNames<FeatureFlagsOptions<Record<string, FlagValue>>> = {
  defaults: true,
  prefix: true,
  refreshMs: true,
  timeout: true,
  clock: true,
  live: true,
};

/** The channel topic of flag changes. */
const FLAGS_TOPIC = 'flags';

/**
 * Feature flags that change without a restart: values live in the store, and each process reads
 * its flags at most once per `refreshMs` (one read for every flag). A change made with `set` or
 * `reset` reaches the other instances within milliseconds over the store's channel (`live`), and
 * within `refreshMs` whatever happens to the channel. A flag never set, or one whose stored value has another type than
 * its default, reads as its default. When the store fails or does not answer within `timeout`,
 * the last value read (or the default) is served, and from then on calls wait for the store no
 * more: one read at a time goes on in the background until the store answers again.
 */
export class FeatureFlags<F extends Record<string, FlagValue> = Record<string, FlagValue>> {
  readonly #store: KvsStore;
  readonly #defaults: F;
  readonly #prefix: string;
  readonly #refreshMs: number;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #cache = new Map<keyof F, Cached>();
  /**
   * The read of every flag in progress, if any (one at a time): settles once it updated the
   * values, or `timeout` ms after it started, whichever comes first. Never rejects.
   */
  #reading: Promise<void> | undefined;
  /** False from a read that failed or outlived `timeout` until one succeeds: calls then wait not. */
  #answering = true;
  /**
   * How many `set`/`reset` calls (and changes heard from other instances) there were, so that a
   * read landing after one does not undo it.
   */
  #writes = 0;
  /** The store channel's subscription (`live`), if any. */
  readonly #sub: KvsSubscription | undefined;

  constructor(store: KvsStore, options: FeatureFlagsOptions<F>) {
    if (typeof options?.defaults !== 'object' || options.defaults === null) {
      throw new KvsInvalidArgumentError(
        'FeatureFlags needs `defaults`: every flag with its default value.',
      );
    }
    assertKnownKeys('the FeatureFlags options', options, FLAG_OPTIONS, toInvalid);
    this.#store = store;
    this.#defaults = options.defaults;
    this.#prefix = options.prefix ?? 'flag:';
    this.#refreshMs = checkMs('refreshMs', options.refreshMs ?? 1000);
    this.#timeout = checkMs('timeout', options.timeout ?? 150);
    this.#now = options.clock ?? (() => performance.now());
    const live = options.live ?? true;
    if (typeof live !== 'boolean') {
      throw new KvsInvalidArgumentError('Invalid live: expected true or false.');
    }
    this.#sub = live
      ? channelOf(store)?.subscribe({
          message: (topic, data) => {
            if (topic !== FLAGS_TOPIC) return;
            const name = (data as { n?: unknown } | null)?.n;
            if (typeof name === 'string' && this.has(name)) this.#expire([name]);
          },
          // Changes made while the channel was down were not heard: read everything anew.
          state: (up) => {
            if (up) this.#expire(this.names());
          },
        })
      : undefined;
  }

  /** Stops hearing of other instances' changes (the store's close does it too). Idempotent. */
  close(): void {
    this.#sub?.close();
  }

  /** Nest calls it at shutdown for a provider made by {@link provideFeatureFlags}. */
  onModuleDestroy(): void {
    this.close();
  }

  /** The next `get` of these flags reads the store; a read under way now does not count. */
  #expire(names: readonly (keyof F & string)[]): void {
    const written = ++this.#writes;
    for (const name of names) {
      const cached = this.#cache.get(name);
      if (cached !== undefined) this.#cache.set(name, { ...cached, readAt: -Infinity, written });
    }
  }

  /**
   * The flag's current value: at most `refreshMs` old while the store answers within `timeout`.
   * Otherwise the last value read (or the default), after waiting at most `timeout`.
   */
  async get<K extends keyof F & string>(name: K): Promise<F[K]> {
    this.#known(name);
    const cached = this.#cache.get(name);
    if (cached !== undefined && this.#now() - cached.readAt < this.#refreshMs)
      return cached.value as F[K];
    const reading = this.#reading ?? this.#read();
    if (this.#answering) await reading;
    return (this.#cache.get(name)?.value ?? this.#default(name)) as F[K];
  }

  /** True when `name` is a flag of this set (for names that come from outside, e.g. a route). */
  has(name: string): name is keyof F & string {
    return Object.hasOwn(this.#defaults, name);
  }

  /** The names of every flag. */
  names(): (keyof F & string)[] {
    return Object.keys(this.#defaults);
  }

  /** True when a boolean flag is on. */
  async isEnabled<K extends keyof F & string>(name: K): Promise<boolean> {
    return (await this.get(name)) === true;
  }

  /** Every flag's current value. */
  async all(): Promise<F> {
    const names = Object.keys(this.#defaults);
    const values = await Promise.all(names.map((name) => this.get(name)));
    return Object.fromEntries(names.map((name, i) => [name, values[i]])) as unknown as F;
  }

  /**
   * Sets a flag for every instance: this one sees it at once, the others within milliseconds
   * over the channel (`live`), else within `refreshMs`.
   */
  async set<K extends keyof F & string>(name: K, value: F[K]): Promise<void> {
    this.#known(name);
    if (!sameKind(value, this.#default(name))) {
      throw new KvsInvalidArgumentError(
        `Invalid value for flag ${JSON.stringify(name)}: expected a${kindOf(this.#default(name)) === 'array' ? 'n' : ''} ${kindOf(this.#default(name))} like its default.`,
      );
    }
    await this.#store.set(this.#prefix + name, Buffer.from(JSON.stringify(value)));
    this.#cache.set(name, { value, readAt: this.#now(), written: ++this.#writes });
    void this.#sub?.publish(FLAGS_TOPIC, { n: name });
  }

  /** Returns a flag to its default for every instance. */
  async reset<K extends keyof F & string>(name: K): Promise<void> {
    this.#known(name);
    await this.#store.delete(this.#prefix + name);
    this.#cache.set(name, {
      value: this.#default(name),
      readAt: this.#now(),
      written: ++this.#writes,
    });
    void this.#sub?.publish(FLAGS_TOPIC, { n: name });
  }

  /** Starts the read of every flag; see {@link #reading}. */
  #read(): Promise<void> {
    const names = this.names();
    const writes = this.#writes;
    let timer: NodeJS.Timeout | undefined;
    const done = this.#fetch(names)
      .then(
        (values) => {
          this.#answering = true;
          names.forEach((name, i) => this.#update(name, values[i]!, writes));
        },
        () => {
          // The store is down or slow: serve what we know, and ask again only after refreshMs, so
          // an outage does not cost every request a timeout.
          this.#answering = false;
          for (const name of names) {
            this.#update(name, this.#cache.get(name)?.value ?? this.#default(name), writes);
          }
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.#reading = undefined;
      });
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#answering = false; // calls stop waiting until a read succeeds again
        resolve();
      }, this.#timeout);
    });
    this.#reading = Promise.race([done, timedOut]);
    return this.#reading;
  }

  /** Every flag's stored value, decoded; rejects when the store fails. */
  async #fetch(names: (keyof F & string)[]): Promise<FlagValue[]> {
    const found = await this.#store.getMany(names.map((name) => this.#prefix + name));
    return names.map((name, i) => {
      const bytes = found[i];
      return bytes === undefined ? this.#default(name) : this.#decode(name, bytes);
    });
  }

  /** Stores a value read, unless `set` or `reset` stored a newer one since the read started. */
  #update(name: keyof F, value: FlagValue, writes: number): void {
    const cached = this.#cache.get(name);
    if (cached !== undefined && cached.written > writes) return;
    this.#cache.set(name, { value, readAt: this.#now(), written: 0 });
  }

  #decode(name: keyof F & string, bytes: Buffer): FlagValue {
    try {
      const value = JSON.parse(bytes.toString('utf8')) as FlagValue;
      return sameKind(value, this.#default(name)) ? value : this.#default(name);
    } catch {
      return this.#default(name);
    }
  }

  /** The default of a known flag. */
  #default(name: keyof F): FlagValue {
    return this.#defaults[name] as FlagValue;
  }

  #known(name: string): void {
    if (!this.has(name)) {
      throw new KvsInvalidArgumentError(
        `Unknown feature flag ${JSON.stringify(name)}: add it to the defaults (known: ${Object.keys(this.#defaults).join(', ')}).`,
      );
    }
  }
}

function checkMs(option: string, ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) {
    throw new KvsInvalidArgumentError(`Invalid ${option}: expected a finite number of ms >= 0.`);
  }
  return ms;
}

/** A value's JSON kind: arrays, objects and null told apart, unlike `typeof`. */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function sameKind(value: unknown, reference: FlagValue): boolean {
  return kindOf(value) === kindOf(reference);
}
