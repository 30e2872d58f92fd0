import { describeValue } from '../shared/describe.js';

/**
 * Errors raised by every nestjs-kvs store. Each carries a stable `code`, so callers can match on
 * `err.code` as well as `instanceof` (which fails when two copies of the package are loaded).
 */

/** Stable codes of {@link KvsError} and its subclasses. */
export type KvsErrorCode =
  | 'KVS_ERROR'
  | 'KVS_NOT_FOUND'
  | 'KVS_CLOSED'
  | 'KVS_INVALID_ARGUMENT'
  | 'KVS_CONNECTION'
  | 'KVS_VALUE_TYPE'
  | 'KVS_BACKEND'
  | 'KVS_UNEXPECTED'
  | 'KVS_CACHE_TIMEOUT';

/** Base class of every error a store raises. */
export class KvsError extends Error {
  readonly code: KvsErrorCode = 'KVS_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The key does not exist or has expired. */
export class KvsNotFoundError extends KvsError {
  override readonly code = 'KVS_NOT_FOUND';

  constructor(readonly key: string) {
    super(`Key not found: ${JSON.stringify(key)} (missing or expired).`);
  }
}

/** The store was closed; create a new one to continue. */
export class KvsClosedError extends KvsError {
  override readonly code = 'KVS_CLOSED';

  constructor(operation: string) {
    super(`Cannot ${operation}: the store is closed. Create a new store to continue.`);
  }
}

/** An argument was rejected before any I/O. The message names the argument and the fix. */
export class KvsInvalidArgumentError extends KvsError {
  override readonly code = 'KVS_INVALID_ARGUMENT';
}

/** The backend could not be reached, or did not answer within the configured timeout. */
export class KvsConnectionError extends KvsError {
  override readonly code = 'KVS_CONNECTION';
}

/**
 * The server refused a step of setting up a connection (`AUTH`/`HELLO`: wrong credentials;
 * `SELECT`: a database it does not have or the user may not use), at startup or on a reconnect.
 * The store runs no command on such a connection, and fails them with this error until a
 * connection is set up completely. Its `code` is `KVS_CONNECTION`, like every connection failure;
 * `step` names the refused command. Fixing it takes a configuration change, not waiting.
 */
export class KvsHandshakeError extends KvsConnectionError {
  constructor(
    message: string,
    /** The handshake command the server refused: `AUTH`, `HELLO`, `SELECT`, `CLIENT`... */
    readonly step: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The backend answered an operation with an error that has no more specific type, such as a
 * Redis error reply (`ERR ...`, `NOPERM ...`, or one a script raised). The message carries it.
 */
export class KvsBackendError extends KvsError {
  override readonly code = 'KVS_BACKEND';
}

/** The stored value has the wrong type for the operation (e.g. `increment` on a non-integer). */
export class KvsValueTypeError extends KvsError {
  override readonly code = 'KVS_VALUE_TYPE';
}

/**
 * A store failed with something that is not a nestjs-kvs error (a custom store's own error, or a
 * bug); `cause` holds what was thrown.
 */
export class KvsUnexpectedError extends KvsError {
  override readonly code = 'KVS_UNEXPECTED';
}

/**
 * `err` itself when it is a nestjs-kvs error, else a {@link KvsUnexpectedError} saying `what`
 * failed, with `err` as its cause. A thrown non-Error is named by type and size only.
 */
export function asKvsError(err: unknown, what: string): KvsError {
  if (isKvsError(err)) return err;
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : describeValue(err);
  return new KvsUnexpectedError(`${what} failed: ${reason}`, { cause: err });
}

const CODES = new Set<string>([
  'KVS_ERROR',
  'KVS_NOT_FOUND',
  'KVS_CLOSED',
  'KVS_INVALID_ARGUMENT',
  'KVS_CONNECTION',
  'KVS_VALUE_TYPE',
  'KVS_BACKEND',
  'KVS_UNEXPECTED',
  'KVS_CACHE_TIMEOUT',
]);

/**
 * True when `err` is a nestjs-kvs error, optionally of the given code. Works across duplicate
 * copies of the package, where `instanceof` does not.
 */
export function isKvsError(err: unknown, code?: KvsErrorCode): err is KvsError {
  if (typeof err !== 'object' || err === null) return false;
  const actual = (err as { code?: unknown }).code;
  return typeof actual === 'string' && CODES.has(actual) && (code === undefined || actual === code);
}

/** `new KvsInvalidArgumentError(message)`, for helpers that take an error factory. */
export const toInvalid = (message: string): KvsInvalidArgumentError =>
  new KvsInvalidArgumentError(message);
