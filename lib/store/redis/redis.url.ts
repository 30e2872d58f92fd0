import type { RedisOptions } from 'ioredis';
import { KvsInvalidArgumentError } from '../kvs.errors.js';
import { describeValue } from '../../shared/describe.js';

/** A parsed Redis URL: ioredis options, a password-free description, and the secrets it holds. */
export interface RedisEndpoint {
  options: RedisOptions;
  target: string;
  secrets: string[];
}

/** Parses a Redis URL or socket path. Throws `KvsInvalidArgumentError` naming the problem. */
export function parseRedisUrl(url: unknown): RedisEndpoint {
  if (typeof url !== 'string' || url.length === 0) {
    throw new KvsInvalidArgumentError(
      `Invalid url: expected a Redis URL such as redis://localhost:6379, got ${describeValue(url)}.`,
    );
  }
  if (url.startsWith('/')) return { options: { path: url }, target: `unix:${url}`, secrets: [] };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KvsInvalidArgumentError(
      `Invalid url: ${redactUrl(url)} is not a URL. Use redis://[user:password@]host:port[/db], rediss://... or unix:///path.`,
    );
  }
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const secrets = password ? [password, parsed.password] : [];
  const target = redactUrl(url);
  const credentials: RedisOptions = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
  if (parsed.protocol === 'unix:') {
    const db = dbNumber(parsed.searchParams.get('db') ?? '0', target);
    return {
      options: { ...credentials, path: decodeURIComponent(parsed.pathname), db },
      target,
      secrets,
    };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new KvsInvalidArgumentError(
      `Invalid url: ${target} has protocol ${parsed.protocol}; use redis://, rediss:// (TLS) or unix://.`,
    );
  }
  if (!parsed.hostname) throw new KvsInvalidArgumentError(`Invalid url: ${target} has no host.`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : 6379;
  const db = dbNumber(parsed.pathname.replace(/^\//, '') || '0', target);
  const tls = parsed.protocol === 'rediss:' ? { tls: { servername: host } } : {};
  return { options: { ...credentials, host, port, db, ...tls }, target, secrets };
}

/** `url` with any password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}

function dbNumber(text: string, target: string): number {
  if (!/^\d{1,5}$/.test(text)) {
    throw new KvsInvalidArgumentError(
      `Invalid url: ${target} names database "${text}"; use a whole number such as /0.`,
    );
  }
  return Number(text);
}
