import type { SessionData } from 'express-session';
import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError, MAX_TTL_MS } from '../../store/index.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { toInvalid } from '../../store/kvs.errors.js';

/** Turns a session into text and back; JSON by default. */
export interface SessionSerializer {
  stringify(session: SessionData): string;
  parse(text: string): SessionData;
}

/** Options of {@link KvsSessionStore}. All durations are milliseconds. */
export interface KvsSessionStoreOptions {
  /** Prepended to every key this store writes: `<prefix><sid>`. Default `'sess:'`. */
  prefix?: string;
  /**
   * Time to live of a session whose cookie has no expiry (a browser-session cookie), in ms, or a
   * function of the session. Default one day. A cookie with `maxAge`/`expires` sets the TTL itself.
   */
  ttl?: number | ((session: SessionData) => number);
  /** Encodes sessions; default `JSON`. */
  serializer?: SessionSerializer;
  /**
   * The user a session belongs to (e.g. `(s) => s.userId`), or `undefined` for an anonymous one.
   * Enables `userSessions()` and `destroyUserSessions()` (log out everywhere).
   */
  userId?: (session: SessionData) => string | number | null | undefined;
}

/** The options with their defaults applied. */
export interface ResolvedSessionOptions {
  prefix: string;
  /** Where the per-user index lives: `<prefix>by-user:<encoded user id, or # + its digest>:<sid>`. */
  userPrefix: string;
  defaultTtl: (session: SessionData) => number;
  serializer: SessionSerializer;
  userId: ((session: SessionData) => string | undefined) | undefined;
}

const ONE_DAY = 24 * 60 * 60 * 1000;

/** Sub-prefix of the per-user index keys, inside the session prefix so `clear()` removes them too. */
export const USER_INDEX = 'by-user:';

/** Option names of KvsSessionStore, checked at runtime. */
const SESSION_OPTIONS: OptionNames<KvsSessionStoreOptions> = {
  prefix: true,
  ttl: true,
  serializer: true,
  userId: true,
};

/** Checks the options up front and applies the defaults. Throws `KvsInvalidArgumentError`. */
export function resolveSessionOptions(options: KvsSessionStoreOptions): ResolvedSessionOptions {
  assertKnownKeys('the KvsSessionStore options', options, SESSION_OPTIONS, toInvalid);
  const { prefix = 'sess:', ttl = ONE_DAY, serializer = JSON, userId } = options;
  if (typeof prefix !== 'string') {
    throw new KvsInvalidArgumentError(
      `Invalid KvsSessionStore prefix: expected a string such as 'sess:', got ${typeof prefix}.`,
    );
  }
  if (typeof ttl === 'number') assertTtl(ttl);
  else if (typeof ttl !== 'function') {
    throw new KvsInvalidArgumentError(
      'Invalid KvsSessionStore ttl: expected milliseconds (e.g. 86400000 for a day) or a function of the session.',
    );
  }
  if (typeof serializer?.parse !== 'function' || typeof serializer.stringify !== 'function') {
    throw new KvsInvalidArgumentError(
      'Invalid KvsSessionStore serializer: expected { stringify(session), parse(text) }, such as JSON.',
    );
  }
  if (userId !== undefined && typeof userId !== 'function') {
    throw new KvsInvalidArgumentError(
      'Invalid KvsSessionStore userId: expected a function of the session, e.g. (s) => s.userId.',
    );
  }
  return {
    prefix,
    userPrefix: prefix + USER_INDEX,
    defaultTtl: typeof ttl === 'number' ? () => ttl : ttl,
    serializer,
    userId:
      userId === undefined
        ? undefined
        : (session) => {
            const id = userId(session);
            return id === undefined || id === null || id === '' ? undefined : String(id);
          },
  };
}

/**
 * How long `session` should live, in ms: until its cookie expires when the cookie has `expires`
 * or `maxAge` (at most `MAX_TTL_MS`, the store's longest TTL), otherwise the default TTL. Zero
 * or less means "already expired".
 */
export function sessionTtl(session: SessionData, options: ResolvedSessionOptions): number {
  const cookie = session.cookie as { expires?: Date | string | null; maxAge?: number } | undefined;
  if (cookie?.expires !== undefined && cookie.expires !== null) {
    const at = new Date(cookie.expires).getTime();
    if (Number.isFinite(at)) return Math.min(at - Date.now(), MAX_TTL_MS);
  }
  if (typeof cookie?.maxAge === 'number') return Math.min(cookie.maxAge, MAX_TTL_MS);
  const ttl = options.defaultTtl(session);
  assertTtl(ttl);
  return ttl;
}

function assertTtl(ttl: unknown): void {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new KvsInvalidArgumentError(
      `Invalid KvsSessionStore ttl: expected a finite number of milliseconds > 0 (e.g. 86400000 for a day), got ${describeValue(ttl)}.`,
    );
  }
}
