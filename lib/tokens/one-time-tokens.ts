import { randomBytes } from 'node:crypto';
import {
  jsonCodec,
  KvsInvalidArgumentError,
  type KvsCodec,
  type KvsStore,
} from '../store/index.js';
import { assertKnownKeys, type OptionNames } from '../shared/known-keys.js';
import { toInvalid } from '../store/kvs.errors.js';

/** Options of {@link OneTimeTokens}. */
export interface OneTimeTokensOptions<T> {
  /** Key prefix of the tokens in the store. Default 'ott:'. */
  prefix?: string;
  /** How long an issued token stays valid, in ms. Default 10 minutes. */
  ttlMs?: number;
  /** Encodes the payload; default JSON. */
  codec?: KvsCodec<T>;
}

/** 32 random bytes, base64url: 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Option names of OneTimeTokens, checked at runtime. */
const TOKEN_OPTIONS: OptionNames<OneTimeTokensOptions<unknown>> = {
  prefix: true,
  ttlMs: true,
  codec: true,
};

/**
 * Tokens accepted exactly once, such as OAuth `state`: `issue` stores a payload under a random
 * token with a TTL, and `consume` gets and deletes it in one atomic step, so of any number of
 * concurrent or replayed callbacks exactly one gets the payload.
 */
export class OneTimeTokens<T = unknown> {
  readonly #store: KvsStore;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #codec: KvsCodec<T>;

  constructor(store: KvsStore, options: OneTimeTokensOptions<T> = {}) {
    assertKnownKeys('the OneTimeTokens options', options, TOKEN_OPTIONS, toInvalid);
    this.#store = store;
    this.#prefix = options.prefix ?? 'ott:';
    this.#ttlMs = options.ttlMs ?? 10 * 60 * 1000;
    this.#codec = options.codec ?? (jsonCodec as KvsCodec<T>);
    if (!(this.#ttlMs > 0) || !Number.isFinite(this.#ttlMs)) {
      throw new KvsInvalidArgumentError('Invalid ttlMs: one-time tokens need a finite TTL > 0 ms.');
    }
  }

  /** Stores `payload` under a new random token and returns the token. */
  async issue(payload: T, ttlMs = this.#ttlMs): Promise<string> {
    const value = this.#codec.encode(payload);
    for (;;) {
      const token = randomBytes(32).toString('base64url');
      if (await this.#store.setIfAbsent(this.#prefix + token, value, ttlMs)) return token;
    }
  }

  /** The payload of `token`, once; `undefined` if it is unknown, expired or already used. */
  async consume(token: string): Promise<T | undefined> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return undefined;
    const bytes = await this.#store.take(this.#prefix + token);
    return bytes === undefined ? undefined : this.#codec.decode(bytes);
  }
}
