import { createHash } from 'node:crypto';
import { Store, type SessionData } from 'express-session';
import { KvsInvalidArgumentError, type KvsStore } from '../../store/index.js';
import { assertKvsStore } from '../../store/kvs.backend.js';
import {
  resolveSessionOptions,
  sessionTtl,
  USER_INDEX,
  type KvsSessionStoreOptions,
  type ResolvedSessionOptions,
} from './kvs-session.options.js';

type Callback<T = void> = (err: unknown, result?: T) => void;

/** Keys fetched or deleted per round trip by `all` and `clear`. */
const BATCH = 200;
const EMPTY = Buffer.alloc(0);
/** Longest URI-encoded user ID kept as it is in an index key; longer ones are digested. */
const MAX_USER_CHARS = 200;

/**
 * An express-session store on any nestjs-kvs store (memory or Redis): sessions live under
 * `<prefix><sid>` with a TTL taken from the cookie, and `touch` extends the TTL without
 * rewriting the session (one PEXPIRE on Redis). With the `userId` option it also keeps a per-user
 * index of one key per session (`<prefix>by-user:<user>:<sid>`), so concurrent logins never
 * overwrite each other's entry and `destroyUserSessions()` logs a user out everywhere.
 *
 * ```ts
 * app.use(session({ store: new KvsSessionStore(app.get(KVS_STORE)), secret, resave: false }));
 * ```
 */
export class KvsSessionStore extends Store {
  readonly #store: KvsStore;
  readonly #options: ResolvedSessionOptions;

  /** `store`: the nestjs-kvs store to keep sessions in; it stays open when this store is dropped. */
  constructor(store: KvsStore, options: KvsSessionStoreOptions = {}) {
    super();
    assertKvsStore(store, 'KvsSessionStore');
    this.#store = store;
    this.#options = resolveSessionOptions(options);
  }

  /** The session of `sid`, or `null` when it is missing or expired. */
  override get(sid: string, callback: Callback<SessionData | null>): void {
    settle(this.#get(sid), callback);
  }

  /** Stores the session until its cookie expires; an already expired cookie destroys it. */
  override set(sid: string, data: SessionData, callback?: Callback): void {
    settle(this.#set(sid, data), callback);
  }

  /** Deletes the session (and its per-user index entry). */
  override destroy(sid: string, callback?: Callback): void {
    settle(this.#destroy(sid), callback);
  }

  /** Resets the session's TTL from its cookie without rewriting the stored session. */
  override touch(sid: string, data: SessionData, callback?: () => void): void {
    settle(this.#touch(sid, data), callback);
  }

  /** Every live session, keyed by session ID. */
  override all(callback: Callback<Record<string, SessionData>>): void {
    settle(this.#all(), callback);
  }

  /** How many live sessions the store holds. */
  override length(callback: Callback<number>): void {
    settle(
      this.#sids().then((sids) => sids.length),
      callback,
    );
  }

  /** Deletes every session and index entry under this store's prefix, and nothing else. */
  override clear(callback?: Callback): void {
    settle(this.#clear(), callback);
  }

  /**
   * The IDs of the live sessions of `userId`, sorted. Needs the `userId` option.
   */
  async userSessions(userId: string | number): Promise<string[]> {
    return (await this.#sessionsOf(userId)).filter(([, mine]) => mine).map(([sid]) => sid);
  }

  /**
   * Logs `userId` out everywhere: destroys every session of that user and resolves with how many
   * there were. Needs the `userId` option.
   */
  async destroyUserSessions(userId: string | number): Promise<number> {
    const owned = await this.#sessionsOf(userId);
    const sessions = owned.filter(([, mine]) => mine).map(([sid]) => this.#key(sid));
    const destroyed = sessions.length === 0 ? 0 : await this.#store.deleteMany(sessions);
    await this.#store.deleteMany(owned.map(([sid]) => this.#indexKey(String(userId), sid)));
    return destroyed;
  }

  async #get(sid: string): Promise<SessionData | null> {
    const bytes = await this.#store.tryGet(this.#key(sid));
    return bytes === undefined ? null : this.#decode(bytes);
  }

  async #set(sid: string, data: SessionData): Promise<void> {
    const ttl = sessionTtl(data, this.#options);
    if (ttl <= 0) return this.#destroy(sid);
    const bytes = Buffer.from(this.#options.serializer.stringify(data), 'utf8');
    const user = this.#options.userId?.(data);
    // Index first: a crash in between leaves a harmless index entry, never an unindexed session.
    if (user !== undefined) await this.#store.set(this.#indexKey(user, sid), EMPTY, ttl);
    await this.#store.set(this.#key(sid), bytes, ttl);
  }

  async #destroy(sid: string): Promise<void> {
    const bytes = await this.#store.take(this.#key(sid));
    if (bytes === undefined || this.#options.userId === undefined) return;
    const user = this.#userOf(bytes);
    if (user !== undefined) await this.#store.delete(this.#indexKey(user, sid));
  }

  /**
   * Extends only what still exists: the session first, then (only if it was there) its index
   * entry. Both are PEXPIRE-style, so a touch racing a destroy (express-session touches at the end
   * of the very request that logged the user out everywhere) never recreates either key.
   */
  async #touch(sid: string, data: SessionData): Promise<void> {
    const ttl = sessionTtl(data, this.#options);
    if (ttl <= 0) return this.#destroy(sid);
    if (!(await this.#store.expire(this.#key(sid), ttl))) return;
    const user = this.#options.userId?.(data);
    if (user !== undefined) await this.#store.expire(this.#indexKey(user, sid), ttl);
  }

  async #all(): Promise<Record<string, SessionData>> {
    const sids = await this.#sids();
    const all: Record<string, SessionData> = {};
    for (let i = 0; i < sids.length; i += BATCH) {
      const batch = sids.slice(i, i + BATCH);
      const values = await this.#store.getMany(batch.map((sid) => this.#key(sid)));
      values.forEach((bytes, n) => {
        if (bytes !== undefined) all[batch[n]!] = this.#decode(bytes);
      });
    }
    return all;
  }

  /** Session IDs under the prefix, without the per-user index keys. */
  async #sids(): Promise<string[]> {
    const { prefix, userPrefix } = this.#options;
    const keys = await this.#store.list(prefix);
    return keys.filter((key) => !key.startsWith(userPrefix)).map((key) => key.slice(prefix.length));
  }

  async #clear(): Promise<void> {
    let batch: string[] = [];
    for await (const key of this.#store.scan(this.#options.prefix, { batchSize: BATCH })) {
      batch.push(key);
      if (batch.length >= BATCH) {
        await this.#store.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.#store.deleteMany(batch);
  }

  /** `[sid, still belongs to userId]` for each index entry of `userId`. */
  async #sessionsOf(userId: string | number): Promise<[string, boolean][]> {
    if (this.#options.userId === undefined) {
      throw new KvsInvalidArgumentError(
        'KvsSessionStore needs the userId option to find sessions by user, e.g. new KvsSessionStore(store, { userId: (s) => s.userId }).',
      );
    }
    const user = String(userId);
    const index = this.#indexKey(user, '');
    const sids = (await this.#store.list(index)).map((key) => key.slice(index.length));
    if (sids.length === 0) return [];
    const values = await this.#store.getMany(sids.map((sid) => this.#key(sid)));
    // A session may have changed hands since it was indexed; only its current user owns it.
    return sids.map((sid, i) => [sid, values[i] !== undefined && this.#userOf(values[i]) === user]);
  }

  #key(sid: string): string {
    if (typeof sid !== 'string' || sid.length === 0 || sid.startsWith(USER_INDEX)) {
      throw new KvsInvalidArgumentError(
        `Invalid session ID: expected a non-empty string not starting with '${USER_INDEX}' (reserved for the per-user index).`,
      );
    }
    return this.#options.prefix + sid;
  }

  /**
   * `<prefix>by-user:<user>:<sid>`, `<user>` URI-encoded, or, when that is longer than
   * {@link MAX_USER_CHARS}, `#` and the SHA-256 of the user ID (base64url), so any user ID fits
   * in a key. URI encoding never yields `#`, so the two forms cannot meet.
   */
  #indexKey(user: string, sid: string): string {
    const encoded = encodeURIComponent(user);
    const part =
      encoded.length <= MAX_USER_CHARS
        ? encoded
        : `#${createHash('sha256').update(user, 'utf8').digest('base64url')}`;
    return `${this.#options.userPrefix}${part}:${sid}`;
  }

  #decode(bytes: Buffer): SessionData {
    return this.#options.serializer.parse(bytes.toString('utf8'));
  }

  /** The user of a stored session, or `undefined` when it has none or cannot be decoded. */
  #userOf(bytes: Buffer): string | undefined {
    try {
      return this.#options.userId?.(this.#decode(bytes));
    } catch {
      return undefined;
    }
  }
}

/**
 * Hands a promise's outcome to a Node-style callback, outside the promise chain, so an exception
 * thrown by the callback surfaces instead of turning into an unhandled rejection.
 */
function settle<T>(promise: Promise<T>, callback: Callback<T> | (() => void) | undefined): void {
  promise.then(
    (value) => {
      if (callback !== undefined) process.nextTick(callback, null, value);
    },
    (err: unknown) => {
      if (callback !== undefined) process.nextTick(callback, err);
    },
  );
}
