/** One standalone redis-server: optionally with a password, an ACL user, a unix socket or TLS. */
import { join } from 'node:path';
import { baseArgs, dataNodeSpec, launch } from './launch.js';
import type { RedisServer } from './server.js';
import { getTlsMaterial } from './tls.js';

export interface StartRedisOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. Appended last (they win). */
  args?: string[];
  /** requirepass for the default user (also used as masterauth). */
  password?: string;
  /** An extra ACL user with full access (`on >password ~* &* +@all`). */
  aclUser?: { name: string; password: string };
  /**
   * Serve TLS only (plain port disabled) with a throw-away CA.  `authClients`
   * (default false) requires a client certificate (use `server.tls.cert/key`).
   */
  tls?: boolean | { authClients?: boolean };
  /** Also listen on a unix socket in the temp dir (`server.socketPath`). */
  unixSocket?: boolean;
  /** Use this port instead of a fresh one from freePort(). */
  port?: number;
  /** PING deadline. Default 10 s. */
  startTimeoutMs?: number;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const tlsOpt = opts.tls;
  const tls = tlsOpt !== undefined && tlsOpt !== false ? await getTlsMaterial() : undefined;
  const authClients = typeof tlsOpt === 'object' && tlsOpt.authClients === true;
  return launch((port, dir) => {
    const argv =
      tls === undefined
        ? baseArgs(port, dir)
        : baseArgs(port, dir, {
            port: '0', // TLS only
            'tls-port': String(port),
            'tls-cert-file': tls.certFile,
            'tls-key-file': tls.keyFile,
            'tls-ca-cert-file': tls.caFile,
            'tls-auth-clients': authClients ? 'yes' : 'no',
          });
    if (opts.password !== undefined)
      argv.push('--requirepass', opts.password, '--masterauth', opts.password);
    if (opts.aclUser !== undefined) {
      const { name, password } = opts.aclUser;
      argv.push('--user', name, 'on', `>${password}`, '~*', '&*', '+@all');
    }
    let socketPath: string | undefined;
    if (opts.unixSocket === true) {
      socketPath = join(dir, 'redis.sock');
      argv.push('--unixsocket', socketPath, '--unixsocketperm', '700');
    }
    argv.push(...(opts.args ?? []));
    const spec = dataNodeSpec(port, dir, argv, opts.password, opts.startTimeoutMs);
    if (opts.aclUser !== undefined) spec.aclUser = opts.aclUser;
    if (tls !== undefined) spec.tls = tls;
    if (socketPath !== undefined) spec.socketPath = socketPath;
    return spec;
  }, opts.port);
}
