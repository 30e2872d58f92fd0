import { KvsConnectionError, KvsError } from '../kvs.errors.js';
import { counterRangeError, notIntegerError } from '../kvs.integer.js';
import { KvsValueTypeError } from '../kvs.errors.js';

const CONNECTION_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries|CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|TRYAGAIN|Failed to refresh slots|None of startup nodes|All sentinels are unreachable|Connection in subscriber mode|^MOVED |^ASK |Too many Cluster redirections|Cluster is ended/;

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
  const message = scrub(err instanceof Error ? err.message : String(err), ctx.secrets);
  if (message === 'Command timed out') {
    return new KvsConnectionError(
      `Redis at ${ctx.target} did not answer ${ctx.operation} within ${ctx.commandTimeout} ms (commandTimeout).`,
      { cause: err },
    );
  }
  if (CONNECTION_FAILURE.test(message)) {
    return new KvsConnectionError(
      `Redis at ${ctx.target} is unreachable during ${ctx.operation}: ${message}`,
      {
        cause: err,
      },
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
      { cause: err },
    );
  }
  return new KvsError(`Redis ${ctx.operation} failed: ${message}`, { cause: err });
}

/** Replaces every secret in `text` by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}
