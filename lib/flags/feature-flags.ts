import { KvsInvalidArgumentError, type KvsStore } from '../store/index.js';

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
  /** Milliseconds now (inject one in tests). */
  clock?: () => number;
}

interface Cached {
  value: FlagValue;
  readAt: number;
}

/**
 * Feature flags that change without a restart: values live in the store, and each process reads a
 * flag at most once per `refreshMs`, so a change reaches every instance within that time. A flag
 * never set, or one whose stored value has another type than its default, reads as its default;
 * when the store fails, the last value read (or the default) is served.
 */
export class FeatureFlags<F extends Record<string, FlagValue> = Record<string, FlagValue>> {
  readonly #store: KvsStore;
  readonly #defaults: F;
  readonly #prefix: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<keyof F, Cached>();
  readonly #reading = new Map<keyof F, Promise<FlagValue>>();

  constructor(store: KvsStore, options: FeatureFlagsOptions<F>) {
    if (typeof options?.defaults !== 'object' || options.defaults === null) {
      throw new KvsInvalidArgumentError(
        'FeatureFlags needs `defaults`: every flag with its default value.',
      );
    }
    const refreshMs = options.refreshMs ?? 1000;
    if (typeof refreshMs !== 'number' || !(refreshMs >= 0) || !Number.isFinite(refreshMs)) {
      throw new KvsInvalidArgumentError('Invalid refreshMs: expected a finite number of ms >= 0.');
    }
    this.#store = store;
    this.#defaults = options.defaults;
    this.#prefix = options.prefix ?? 'flag:';
    this.#refreshMs = refreshMs;
    this.#now = options.clock ?? (() => performance.now());
  }

  /** The flag's current value (at most `refreshMs` old). */
  async get<K extends keyof F & string>(name: K): Promise<F[K]> {
    this.#known(name);
    const cached = this.#cache.get(name);
    if (cached !== undefined && this.#now() - cached.readAt < this.#refreshMs)
      return cached.value as F[K];
    let reading = this.#reading.get(name);
    if (reading === undefined) {
      reading = this.#read(name).finally(() => this.#reading.delete(name));
      this.#reading.set(name, reading);
    }
    return (await reading) as F[K];
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

  /** Sets a flag for every instance; this one sees it at once, others within `refreshMs`. */
  async set<K extends keyof F & string>(name: K, value: F[K]): Promise<void> {
    this.#known(name);
    if (!sameKind(value, this.#default(name))) {
      throw new KvsInvalidArgumentError(
        `Invalid value for flag ${JSON.stringify(name)}: expected a${kindOf(this.#default(name)) === 'array' ? 'n' : ''} ${kindOf(this.#default(name))} like its default.`,
      );
    }
    await this.#store.set(this.#prefix + name, Buffer.from(JSON.stringify(value)));
    this.#cache.set(name, { value, readAt: this.#now() });
  }

  /** Returns a flag to its default for every instance. */
  async reset<K extends keyof F & string>(name: K): Promise<void> {
    this.#known(name);
    await this.#store.delete(this.#prefix + name);
    this.#cache.set(name, { value: this.#default(name), readAt: this.#now() });
  }

  async #read(name: keyof F & string): Promise<FlagValue> {
    const fallback = this.#cache.get(name)?.value ?? this.#default(name);
    let value: FlagValue;
    try {
      const bytes = await this.#store.tryGet(this.#prefix + name);
      value = bytes === undefined ? this.#default(name) : this.#decode(name, bytes);
    } catch {
      // The store is down or slow: serve what we know, and ask again only after refreshMs, so an
      // outage does not cost every request a timeout.
      this.#cache.set(name, { value: fallback, readAt: this.#now() });
      return fallback;
    }
    this.#cache.set(name, { value, readAt: this.#now() });
    return value;
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

/** A value's JSON kind: arrays, objects and null told apart, unlike `typeof`. */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function sameKind(value: unknown, reference: FlagValue): boolean {
  return kindOf(value) === kindOf(reference);
}
