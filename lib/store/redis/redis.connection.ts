import type { Cluster, Redis } from 'ioredis';
import { KvsConnectionError, KvsHandshakeError } from '../kvs.errors.js';
import { codeOf, reasonOf, safeCause, scrub, type ErrorContext } from './redis.errors.js';

type Client = Redis | Cluster;

/** Where a store connects and what to hide: enough to word a connection error. */
export type ConnectionContext = Pick<ErrorContext, 'target' | 'secrets'>;

/** Commands ioredis sends to set up each connection, before it lets any other command through. */
const HANDSHAKE_COMMANDS = new Set(['auth', 'hello', 'select', 'client', 'readonly']);
/** Replies refusing credentials, also where ioredis reports only the text (sentinels, a Cluster). */
const CREDENTIALS_REFUSED = /\b(WRONGPASS|NOAUTH)\b|invalid password/;

/** The handshake step (`AUTH`, `SELECT`...) that `err`, an ioredis `error` event, reports refused. */
export function handshakeStep(err: unknown): string | undefined {
  for (const e of [err, (err as { lastNodeError?: unknown } | null)?.lastNodeError]) {
    const name = (e as { command?: { name?: unknown } } | null)?.command?.name;
    if (typeof name === 'string' && HANDSHAKE_COMMANDS.has(name)) return name.toUpperCase();
  }
  return CREDENTIALS_REFUSED.test(reasonOf(err)) ? 'AUTH' : undefined;
}

/** The typed error for a refused handshake `step`, naming what the server said and the fix. */
export function handshakeError(
  err: unknown,
  step: string,
  ctx: ConnectionContext,
): KvsHandshakeError {
  const said = scrub(reasonOf(err), ctx.secrets).replace(/\.$/, '');
  const fix =
    step === 'AUTH' || step === 'HELLO'
      ? 'Check the user name and password the store signs in with (for Sentinel: also sentinelPassword)'
      : step === 'SELECT'
        ? 'Use a database the server has (it has `databases` of them, 16 by default, numbered from 0; a Cluster has only 0) and that the user may SELECT'
        : `Grant the user ${step}, or drop the option that sends it`;
  const what = step === 'AUTH' || step === 'HELLO' ? `the credentials (${step})` : step;
  return new KvsHandshakeError(
    `Redis at ${ctx.target} refused ${what} while setting up a connection: ${said}. ${fix}. ` +
      'No command runs until a connection is set up completely.',
    step,
    { cause: safeCause(err, ctx.secrets) },
  );
}

/**
 * Watches a client the store opened and reports its errors. ioredis reports a refused SELECT as an
 * `error` event and then calls the connection ready anyway, on database 0 (a refused AUTH or
 * HELLO does make it reconnect). On any refused step this ends that connection at once, before
 * ioredis can call it ready (ioredis then reconnects by its `retryStrategy`), reports the typed
 * error, and holds it until a connection is ready. Returns what the store fails commands with
 * meanwhile: that error, or undefined while the client is ready.
 * Errors that only follow from the connection being ended are not reported again.
 */
export function watchHandshake(
  client: Client,
  ctx: ConnectionContext,
  report: (err: unknown) => void,
): () => KvsHandshakeError | undefined {
  let failure: KvsHandshakeError | undefined;
  let ended = false;
  client.on('connect', () => (ended = false));
  client.on('ready', () => (failure = undefined));
  client.on('error', (err: unknown) => {
    const step = handshakeStep(err);
    if (step === undefined) {
      if (!ended) report(err);
      return;
    }
    failure = handshakeError(err, step, ctx);
    if (client.status === 'connect' && !isCluster(client)) {
      ended = true;
      client.disconnect(true);
    }
    report(failure);
  });
  return () => (client.status === 'ready' ? undefined : failure);
}

/**
 * The error `createRedisStore` rejects with: the handshake error itself, or what happened in plain
 * words (refused, not found, no answer within `connectTimeout`) and what to check.
 */
export function connectError(
  why: unknown,
  timedOut: boolean,
  ctx: ConnectionContext & { connectTimeout: number },
): KvsConnectionError {
  const step = handshakeStep(why);
  if (step !== undefined) return handshakeError(why, step, ctx);
  const at = `Cannot connect to Redis at ${ctx.target}`;
  const options = why === undefined ? {} : { cause: safeCause(why, ctx.secrets) };
  const said = why === undefined ? '' : scrub(reasonOf(why), ctx.secrets).replace(/\.$/, '');
  if (timedOut) {
    return new KvsConnectionError(
      `${at}: no answer within ${ctx.connectTimeout} ms (connectTimeout)${said ? `; last error: ${said}` : ''}. ` +
        'Check that the server runs at that address and speaks the same protocol (TLS: rediss://).',
      options,
    );
  }
  const code = codeOf(why);
  const what =
    code === 'ECONNREFUSED'
      ? 'the connection was refused (ECONNREFUSED): nothing listens there. Check that the server runs and that host and port are right'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `the host name does not resolve (${code}). Check the host in the URL`
        : `${said || 'the connection closed'}. Check that the server runs and that the URL and credentials are right`;
  return new KvsConnectionError(`${at}: ${what}.`, options);
}

function isCluster(client: Client): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}
