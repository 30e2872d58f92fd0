/**
 * One redis-server / sentinel as the tests see it (RedisServer), what it is started from
 * (ServerSpec), and how the harness talks to it: its own RESP connection per call (resp.ts),
 * authenticated, over TLS when the server serves TLS.
 */
import { HOST } from './env.js';
import {
  replyToText,
  respCommand,
  respCommands,
  RespError,
  type RespAuth,
  type RespTarget,
  type RespValue,
} from './resp.js';
import type { TlsMaterial } from './tls.js';
import { parseInfo } from './wait.js';

export interface RedisServer {
  readonly kind: 'redis' | 'sentinel';
  readonly host: string;
  readonly port: number;
  /** redis://[user:pass@]127.0.0.1:port (rediss:// when TLS). */
  readonly url: string;
  /** Present when started with `unixSocket: true`. */
  readonly socketPath?: string;
  /** The process's temp dir (removed by stop()). */
  readonly dir: string;
  /** requirepass of the default user, if set. */
  readonly password?: string;
  readonly aclUser?: { name: string; password: string };
  readonly tls?: TlsMaterial;
  /** pid of the current process, undefined when not running. */
  readonly pid: number | undefined;
  /** True while the current process is alive. */
  readonly running: boolean;
  /** SIGTERM (nosave), wait for exit (SIGKILL after a deadline), remove the dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit; keeps the dir so restart() works. */
  kill(): Promise<void>;
  /** Stop the process (if running) and start a new one on the same port with the same args; waits for PING. */
  restart(): Promise<void>;
  /** Run a command (own RESP connection, authenticated); reply rendered as text. Error replies reject. */
  cli(...args: string[]): Promise<string>;
  /** Like cli() but returns the structured reply. */
  command(...args: string[]): Promise<RespValue>;
  /**
   * Several commands on ONE connection (in order), replies as text; error
   * replies reject.  Needed e.g. for `WAIT`, which only waits for writes made
   * on the same connection: `pipeline(['SET', 'k', 'v'], ['WAIT', '1', '5000'])`.
   */
  pipeline(...commands: string[][]): Promise<string[]>;
  /** `INFO [section]` parsed into a map. */
  info(section?: string): Promise<Record<string, string>>;
  /** The last few KB of the process's stdout+stderr. */
  logs(): string;
}

export interface ServerSpec {
  kind: 'redis' | 'sentinel';
  port: number;
  dir: string;
  /** argv after the binary; rebuilt for the same port on restart. */
  argv: string[];
  password?: string;
  aclUser?: { name: string; password: string };
  tls?: TlsMaterial;
  socketPath?: string;
  startTimeoutMs: number;
}

/** The addressing and command half of a managed server; process.ts adds the process. */
export abstract class ServerConnection {
  readonly kind: 'redis' | 'sentinel';
  readonly host = HOST;
  readonly port: number;
  readonly url: string;
  readonly socketPath?: string;
  readonly dir: string;
  readonly password?: string;
  readonly aclUser?: { name: string; password: string };
  readonly tls?: TlsMaterial;

  constructor(spec: ServerSpec) {
    this.kind = spec.kind;
    this.port = spec.port;
    this.dir = spec.dir;
    if (spec.password !== undefined) this.password = spec.password;
    if (spec.aclUser !== undefined) this.aclUser = spec.aclUser;
    if (spec.tls !== undefined) this.tls = spec.tls;
    if (spec.socketPath !== undefined) this.socketPath = spec.socketPath;
    const scheme = spec.tls !== undefined ? 'rediss' : 'redis';
    let cred = '';
    if (spec.password !== undefined) cred = `:${encodeURIComponent(spec.password)}@`;
    else if (spec.aclUser !== undefined)
      cred = `${encodeURIComponent(spec.aclUser.name)}:${encodeURIComponent(spec.aclUser.password)}@`;
    this.url = `${scheme}://${cred}${HOST}:${spec.port}`;
  }

  protected get target(): RespTarget {
    const t: RespTarget = { host: HOST, port: this.port };
    if (this.tls !== undefined) t.tls = { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key };
    return t;
  }

  private get auth(): RespAuth | undefined {
    if (this.password !== undefined) return { password: this.password };
    if (this.aclUser !== undefined)
      return { username: this.aclUser.name, password: this.aclUser.password };
    return undefined;
  }

  protected respOptions(timeoutMs: number): { timeoutMs: number; auth?: RespAuth } {
    const auth = this.auth;
    return auth !== undefined ? { timeoutMs, auth } : { timeoutMs };
  }

  async command(...args: string[]): Promise<RespValue> {
    return respCommand(this.target, args, this.respOptions(10_000));
  }

  async cli(...args: string[]): Promise<string> {
    return replyToText(await this.command(...args));
  }

  async pipeline(...commands: string[][]): Promise<string[]> {
    const replies = await respCommands(this.target, commands, this.respOptions(10_000));
    const err = replies.find((r): r is RespError => r instanceof RespError);
    if (err !== undefined) throw err;
    return replies.map(replyToText);
  }

  async info(section?: string): Promise<Record<string, string>> {
    const reply = await this.command(...(section !== undefined ? ['INFO', section] : ['INFO']));
    return parseInfo(typeof reply === 'string' ? reply : '');
  }
}
