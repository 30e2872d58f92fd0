import { KvsBackendError, KvsConnectionError, KvsError } from '../kvs.errors.js';
import { counterRangeError, notIntegerError } from '../kvs.integer.js';
import { KvsValueTypeError } from '../kvs.errors.js';

const CONNECTION_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries|Command aborted due to connection close|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|TRYAGAIN|Failed to refresh slots|None of startup nodes|All sentinels are unreachable|Connection in subscriber mode|^MOVED |^ASK |Too many Cluster redirections|Cluster is ended/;

/**
 * ioredis's own texts that speak of options the store sets for you, in the user's terms. An error
 * with one of these carries no cause: the text says all there is.
 */
const IOREDIS_TEXTS: readonly (readonly [RegExp, string])[] = [
  [
    /^Stream isn't writeable and enableOfflineQueue options is false/,
    'not connected to Redis; reconnecting',
  ],
  [
    /^Reached the max retries per request limit|^Command aborted due to connection close/,
    'the connection dropped before Redis answered (the command may have run); reconnecting',
  ],
];

/** What a failing Redis command is turned into, without secrets in the message. */
export interface ErrorContext {
  operation: string;
  key?: string;
  target: string;
  commandTimeout: number;
  secrets: readonly string[];
}

/** Maps an ioredis failure to the matching `KvsError`, scrubbing any secret from its text. */
export function toKvsError(err: unknown, ctx: ErrorContext): KvsError {
  if (err instanceof KvsError) return err;
  const message = scrub(reasonOf(err), ctx.secrets);
  const cause = { cause: safeCause(err, ctx.secrets) };
  if (message === 'Command timed out') {
    return new KvsConnectionError(
      `Redis at ${ctx.target} did not answer ${ctx.operation} within ${ctx.commandTimeout} ms (commandTimeout).`,
      cause,
    );
  }
  const translated = IOREDIS_TEXTS.find(([pattern]) => pattern.test(message));
  if (translated !== undefined) {
    return new KvsConnectionError(
      `Redis at ${ctx.target} is unreachable during ${ctx.operation}: ${translated[1]}.`,
    );
  }
  if (CONNECTION_FAILURE.test(message) || ctx.operation === 'connect') {
    return new KvsConnectionError(
      `Redis at ${ctx.target} is unreachable during ${ctx.operation}: ${message}`,
      cause,
    );
  }
  const key = ctx.key ?? '';
  if (ctx.operation === 'increment') {
    if (message.includes('KVS_RANGE')) return counterRangeError(key);
    if (message.includes('not an integer') || message.includes('overflow'))
      return notIntegerError(key);
  }
  if (message.startsWith('WRONGTYPE')) {
    return new KvsValueTypeError(
      `Cannot ${ctx.operation} ${JSON.stringify(key)}: Redis holds a non-string value there (${message}).`,
      cause,
    );
  }
  return new KvsBackendError(`Redis ${ctx.operation} failed: ${message}`, cause);
}

/**
 * Why `err` happened, as text: its message, and for a Cluster error that only says "Failed to
 * refresh slots cache", the error of the last node it tried. Never the command or its arguments.
 */
export function reasonOf(err: unknown): string {
  const own = messageOf(err);
  const last = (err as { lastNodeError?: unknown } | null)?.lastNodeError;
  return last === undefined
    ? own
    : `${own.replace(/\.$/, '')} (last node error: ${messageOf(last).replace(/\.$/, '')})`;
}

/** The `code` of a Node or ioredis error (`ECONNREFUSED`...), here or on a Cluster's last node. */
export function codeOf(err: unknown): string | undefined {
  for (const e of [err, (err as { lastNodeError?: unknown } | null)?.lastNodeError]) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * A stand-in for an ioredis error, fit to be a `cause`: its name, its `code` and its message (with
 * secrets replaced) and stack frames, nothing else. The original must not travel: ioredis hangs the
 * command and its arguments on it (the password of an `AUTH` or `HELLO`, a value being stored),
 * and a Cluster error the last node's error, and a logger that prints whole objects shows them.
 */
export function safeCause(err: unknown, secrets: readonly string[]): Error {
  const copy = new Error(scrub(reasonOf(err), secrets));
  const name = (err as { name?: unknown } | null)?.name;
  copy.name = typeof name === 'string' ? name : 'Error';
  const code = codeOf(err);
  if (code !== undefined) Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  const stack = (err as { stack?: unknown } | null)?.stack;
  const frames =
    typeof stack === 'string' ? stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  copy.stack = [`${copy.name}: ${copy.message}`, ...frames.map((f) => scrub(f, secrets))].join(
    '\n',
  );
  return copy;
}

/** The message of an error of any realm (errors of Node's core are not `instanceof Error` in a VM). */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** Replaces every secret in `text` by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}
