/**
 * Test harness: real redis-server processes (standalone, Cluster, Sentinel)
 * started and stopped by the test suites themselves.
 *
 * - Every process is a child of the Jest worker, bound to 127.0.0.1 on a port
 *   obtained from freePort() (never 6379 / never a hand-started server), with
 *   its own temp dir under os.tmpdir() (prefix `nestjs-kvs-`).
 * - stdout/stderr are piped, only the last few KB are kept for error messages.
 * - Readiness is detected by polling (PING + INFO process_id) with deadlines,
 *   never by fixed sleeps.
 * - Cleanup: call stopAll() in afterAll.  As a safety net a tiny watchdog
 *   process (one per test file, only while servers are alive) SIGKILLs every
 *   child and removes the temp dirs when the Jest worker dies, even if it is
 *   SIGKILLed.  (A `process.on('exit')` hook is registered too, but inside
 *   Jest's sandbox `process` is a copy, so it only helps outside Jest.)
 *
 * Processes and pipes are unref()'d: a forgotten stopAll() will not keep a
 * Jest worker alive; the watchdog then cleans up.
 *
 * Usage:
 *   import { startRedis, startCluster, startSentinel, stopAll } from '../support/redis-servers.js';
 *   let redis: RedisServer;
 *   beforeAll(async () => { redis = await startRedis(); });
 *   afterAll(() => stopAll());
 *   // new Redis(redis.url) / new Cluster(cluster.startupNodes) /
 *   // new Redis({ sentinels: set.sentinelAddresses, name: set.masterName })
 *
 * Timing on a 2-core box: startRedis ≈ 0.1 s, startCluster (3+3) ≈ 2-4 s,
 * cluster failover ≈ 4 s (node timeout 2 s), startSentinel ≈ 2.5 s,
 * sentinel failover ≈ 1.3 s ('command') / 3.3 s ('kill').
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  replyToText,
  respCommand,
  respCommands,
  RespError,
  type RespAuth,
  type RespTarget,
  type RespValue,
} from './resp.js';

export { RespError, replyToText, type RespValue } from './resp.js';

// ---------------------------------------------------------------------------
// constants & small utilities
// ---------------------------------------------------------------------------

export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
export const REDIS_CLI_BIN = process.env['REDIS_CLI_BIN'] ?? '/usr/bin/redis-cli';
const HOST = '127.0.0.1';
const TMP_PREFIX = 'nestjs-kvs-';
const LOG_TAIL_BYTES = 16 * 1024;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

export interface HostPort {
  host: string;
  port: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Parse `INFO` output into a flat key → value map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * Poll `check` until it returns true (or a truthy non-boolean value), with an
 * overall deadline.  `check` may throw; the last error / description is
 * reported on timeout.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | false | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string | Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await check();
      if (r !== false && r !== undefined) return r;
    } catch (e) {
      last = errorText(e);
    }
    if (Date.now() >= deadline) {
      let extra = '';
      if (opts.describe !== undefined) {
        try {
          extra = await opts.describe();
        } catch (e) {
          extra = `(describe failed: ${errorText(e)})`;
        }
      }
      throw new Error(
        `Timed out after ${opts.timeoutMs} ms waiting for ${what}` +
          (last !== '' ? `\nlast error: ${last}` : '') +
          (extra !== '' ? `\n${extra}` : ''),
      );
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Keeps the last `max` characters written to it. */
class LogTail {
  private text = '';
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.text += s;
    if (this.text.length > this.max * 2) this.text = this.text.slice(-this.max);
  }
  toString(): string {
    return this.text.length > this.max ? `…${this.text.slice(-this.max)}` : this.text;
  }
}

function unrefHandle(h: unknown): void {
  if (typeof h === 'object' && h !== null && 'unref' in h) {
    const fn = h.unref;
    if (typeof fn === 'function') fn.call(h);
  }
}

/** Run redis-cli with the given arguments; resolves with stdout (trimmed of the final newline). */
export function redisCli(
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      REDIS_CLI_BIN,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, env: cleanEnv() },
      (err, stdout, stderr) => {
        if (err !== null) {
          reject(
            new Error(
              `redis-cli ${args.join(' ')} failed: ${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
          return;
        }
        resolve(stdout.replace(/\n$/, ''));
      },
    );
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}

// ---------------------------------------------------------------------------
// free ports
// ---------------------------------------------------------------------------

const handedOutPorts = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('unexpected server address'));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** A currently free loopback TCP port; never returns the same port twice in one process. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await probePort();
    if (port === 6379 || handedOutPorts.has(port)) continue;
    handedOutPorts.add(port);
    return port;
  }
  throw new Error('freePort: could not find an unused port after 100 attempts');
}

/** True if nothing listens on 127.0.0.1:port (we can bind it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------
// crash safety: watchdog + exit hook
// ---------------------------------------------------------------------------

const WATCHDOG_SOURCE = `
const fs = require('fs');
const pids = new Set(), dirs = new Set();
let buf = '';
process.on('SIGINT', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const op = line.slice(0, 2), v = line.slice(2);
    if (op === 'p+') pids.add(v); else if (op === 'p-') pids.delete(v);
    else if (op === 'd+') dirs.add(v); else if (op === 'd-') dirs.delete(v);
  }
});
process.stdin.on('end', () => {
  for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const d of dirs) { try { fs.rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, pids.size > 0 ? 200 : 0);
});
`;

let watchdog: ChildProcess | undefined;
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();

function watchdogSend(line: string): void {
  if (watchdog === undefined || watchdog.stdin === null || watchdog.stdin.destroyed) {
    const wd = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: cleanEnv(),
    });
    wd.on('error', () => undefined);
    wd.stdin?.on('error', () => undefined);
    wd.unref();
    unrefHandle(wd.stdin);
    watchdog = wd;
    // re-register everything still alive
    for (const c of liveChildren) if (c.pid !== undefined) wd.stdin?.write(`p+${c.pid}\n`);
    for (const d of liveDirs) wd.stdin?.write(`d+${d}\n`);
  }
  watchdog.stdin?.write(`${line}\n`);
}

function releaseWatchdogIfIdle(): void {
  if (liveChildren.size === 0 && liveDirs.size === 0 && watchdog !== undefined) {
    watchdog.stdin?.end();
    watchdog = undefined;
  }
}

function trackDir(dir: string): void {
  liveDirs.add(dir);
  watchdogSend(`d+${dir}`);
}

function untrackDir(dir: string): void {
  liveDirs.delete(dir);
  if (watchdog !== undefined) watchdogSend(`d-${dir}`);
}

process.on('exit', () => {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* best effort */
    }
  }
  for (const d of liveDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});

// ---------------------------------------------------------------------------
// TLS material (generated once per module instance with the openssl CLI)
// ---------------------------------------------------------------------------

export interface TlsMaterial {
  /** PEM contents; `cert`/`key` are valid both as server and as client certificate. */
  ca: string;
  cert: string;
  key: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

let tlsMaterial: Promise<TlsMaterial> | undefined;
let tlsDir: string | undefined;

function runOpenssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, _stdout, stderr) =>
      err
        ? reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`))
        : resolve(),
    );
  });
}

function getTlsMaterial(): Promise<TlsMaterial> {
  tlsMaterial ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), `${TMP_PREFIX}tls-`));
    tlsDir = dir;
    trackDir(dir);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const caSubject = '/CN=nestjs-kvs-test-ca';
    const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE'];
    caExt.push('-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await runOpenssl(
      [
        ...'req -x509 -new -keyout ca.key -out ca.crt -days 3'.split(' '),
        ...ec,
        '-subj',
        caSubject,
        ...caExt,
      ],
      dir,
    );
    await runOpenssl(
      ['req', '-new', ...ec, '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost'],
      dir,
    );
    await writeFile(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    const signArgs = 'x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial';
    await runOpenssl(
      [...signArgs.split(' '), ...'-out redis.crt -days 3 -extfile ext.cnf'.split(' ')],
      dir,
    );
    const caFile = join(dir, 'ca.crt');
    const certFile = join(dir, 'redis.crt');
    const keyFile = join(dir, 'redis.key');
    return {
      ca: await readFile(caFile, 'utf8'),
      cert: await readFile(certFile, 'utf8'),
      key: await readFile(keyFile, 'utf8'),
      caFile,
      certFile,
      keyFile,
    };
  })();
  return tlsMaterial;
}

// ---------------------------------------------------------------------------
// one managed redis-server / sentinel process
// ---------------------------------------------------------------------------

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

interface ServerSpec {
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

const allServers = new Set<ManagedServer>();

class ManagedServer implements RedisServer {
  readonly kind: 'redis' | 'sentinel';
  readonly host = HOST;
  readonly port: number;
  readonly url: string;
  readonly socketPath?: string;
  readonly dir: string;
  readonly password?: string;
  readonly aclUser?: { name: string; password: string };
  readonly tls?: TlsMaterial;

  private readonly argv: string[];
  private readonly startTimeoutMs: number;
  private readonly log = new LogTail(LOG_TAIL_BYTES);
  private child: ChildProcess | undefined;
  private exitPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(spec: ServerSpec) {
    this.kind = spec.kind;
    this.port = spec.port;
    this.dir = spec.dir;
    this.argv = spec.argv;
    this.startTimeoutMs = spec.startTimeoutMs;
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
    allServers.add(this);
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  logs(): string {
    return this.log.toString();
  }

  private get target(): RespTarget {
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

  private respOptions(timeoutMs: number): { timeoutMs: number; auth?: RespAuth } {
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

  /** Serialise lifecycle operations (start/stop/kill/restart) on this server. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.lifecycle.then(op, op);
    this.lifecycle = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  start(): Promise<void> {
    return this.serial(() => this.spawnAndWait());
  }

  private async spawnAndWait(): Promise<void> {
    if (this.stopPromise !== undefined)
      throw new Error(`${this.describe()} was stopped; cannot start it again`);
    const child = spawn(REDIS_SERVER_BIN, this.argv, {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(),
    });
    this.child = child;
    let spawnError: Error | undefined;
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.log.push(
          `\n[harness] ${this.describe()} pid ${child.pid ?? '?'} exited (code ${code}, signal ${signal})\n`,
        );
        liveChildren.delete(child);
        if (child.pid !== undefined && watchdog !== undefined) watchdogSend(`p-${child.pid}`);
        resolve();
      });
      child.once('error', (err) => {
        spawnError = err;
        this.log.push(`\n[harness] spawn error: ${err.message}\n`);
        if (child.pid === undefined) resolve();
      });
    });
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.log.push(d));
    child.stderr?.on('data', (d: string) => this.log.push(d));
    child.unref();
    unrefHandle(child.stdout);
    unrefHandle(child.stderr);
    if (child.pid !== undefined) {
      liveChildren.add(child);
      watchdogSend(`p+${child.pid}`);
    }

    const deadline = Date.now() + this.startTimeoutMs;
    let lastError = 'no attempt yet';
    for (;;) {
      if (!this.running || spawnError !== undefined) {
        throw new Error(
          `${this.describe()} exited during startup` +
            (spawnError !== undefined ? ` (${spawnError.message})` : '') +
            `\n--- log ---\n${this.logs()}`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.terminate('SIGKILL');
        throw new Error(
          `${this.describe()} did not answer PING within ${this.startTimeoutMs} ms (last error: ${lastError})\n--- log ---\n${this.logs()}`,
        );
      }
      try {
        const [pong, info] = await respCommands(
          this.target,
          [['PING'], ['INFO', 'server']],
          this.respOptions(Math.max(200, Math.min(2000, remaining))),
        );
        if (pong === 'PONG' && typeof info === 'string') {
          const pid = parseInfo(info)['process_id'];
          if (pid === String(child.pid)) return;
          lastError = `port ${this.port} answered from pid ${pid ?? '?'}, expected ${child.pid ?? '?'}`;
        } else {
          lastError = `PING → ${replyToText(pong ?? null)}`;
        }
      } catch (e) {
        lastError = errorText(e);
      }
      await Promise.race([sleep(POLL_INTERVAL_MS), this.exitPromise]);
    }
  }

  /** Send `signal` to the current process and wait for it to exit (escalating to SIGKILL). */
  private async terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    const exited = this.exitPromise;
    if (child === undefined || exited === undefined || !this.running) return;
    child.kill(signal);
    const waitMs = signal === 'SIGTERM' ? 10_000 : 5_000;
    if (await this.waitExit(exited, waitMs)) return;
    this.log.push(`\n[harness] no exit ${waitMs} ms after ${signal}; sending SIGKILL\n`);
    child.kill('SIGKILL');
    if (!(await this.waitExit(exited, 5_000))) {
      throw new Error(`${this.describe()} pid ${child.pid ?? '?'} did not exit after SIGKILL`);
    }
  }

  private async waitExit(exited: Promise<void>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): Promise<void> {
    return this.serial(() => this.terminate('SIGKILL'));
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.terminate('SIGTERM');
      await this.spawnAndWait();
    });
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.serial(async () => {
      try {
        await this.terminate('SIGTERM');
      } finally {
        await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
        untrackDir(this.dir);
        allServers.delete(this);
        releaseWatchdogIfIdle();
      }
    });
    return this.stopPromise;
  }

  describe(): string {
    return `${this.kind === 'sentinel' ? 'redis-sentinel' : 'redis-server'} 127.0.0.1:${this.port}`;
  }
}

// ---------------------------------------------------------------------------
// standalone
// ---------------------------------------------------------------------------

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

/** `{ port: '1', save: '' }` → `['--port', '1', '--save', '']` (redis-server command-line config). */
function flags(options: Record<string, string>): string[] {
  return Object.entries(options).flatMap(([name, value]) => [`--${name}`, value]);
}

/** Arguments shared by all data nodes (standalone, cluster, sentinel-managed). */
function baseArgs(port: number, dir: string, extra: Record<string, string> = {}): string[] {
  return flags({
    port: String(port),
    bind: HOST,
    daemonize: 'no',
    save: '',
    appendonly: 'no',
    dir,
    logfile: '',
    loglevel: 'notice',
    // shut down immediately on SIGTERM/SIGINT: never save, never wait for lagging replicas
    'shutdown-on-sigterm': 'nosave now',
    'shutdown-on-sigint': 'nosave now',
    // replicas sync immediately instead of after the default 5 s delay
    'repl-diskless-sync-delay': '0',
    'enable-debug-command': 'local',
    ...extra,
  });
}

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), TMP_PREFIX));
  trackDir(dir);
  return dir;
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  untrackDir(dir);
  releaseWatchdogIfIdle();
}

/**
 * Start a server built by `build(port, dir)`; retry with a new port when the
 * chosen one was grabbed by someone else in the meantime (EADDRINUSE).
 */
async function launch(
  build: (port: number, dir: string) => Promise<ServerSpec> | ServerSpec,
  fixedPort?: number,
): Promise<ManagedServer> {
  const attempts = fixedPort !== undefined ? 1 : 3;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = fixedPort ?? (await freePort());
    const dir = await makeDir();
    let server: ManagedServer | undefined;
    try {
      server = new ManagedServer(await build(port, dir));
      await server.start();
      return server;
    } catch (e) {
      lastErr = e;
      if (server !== undefined) {
        allServers.delete(server);
        await server.stop().catch(() => undefined);
      }
      await removeDir(dir);
      if (!/Address already in use/i.test(errorText(e))) break;
    }
  }
  throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
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
    const spec: ServerSpec = {
      kind: 'redis',
      port,
      dir,
      argv,
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    };
    if (opts.password !== undefined) spec.password = opts.password;
    if (opts.aclUser !== undefined) spec.aclUser = opts.aclUser;
    if (tls !== undefined) spec.tls = tls;
    if (socketPath !== undefined) spec.socketPath = socketPath;
    return spec;
  }, opts.port);
}

/**
 * Run `write` (a replicated write) followed by `WAIT replicas` on one
 * connection to `master`, retrying until `replicas` replicas acknowledged it.
 */
async function waitForReplicaAcks(
  master: RedisServer,
  replicas: number,
  write: string[],
  timeoutMs: number,
): Promise<void> {
  if (replicas === 0) return;
  let last = '';
  await waitUntil(
    `${replicas} replica(s) of ${master.port} to acknowledge writes`,
    async () => {
      const replies = await master.pipeline(write, ['WAIT', String(replicas), '1000']);
      last = replies[replies.length - 1] ?? '';
      return Number(last) >= replicas;
    },
    { timeoutMs, intervalMs: 50, describe: () => `last WAIT reply: ${last}` },
  );
}

const PROBE_KEY = '__nestjs_kvs_harness_probe__';

// ---------------------------------------------------------------------------
// cluster
// ---------------------------------------------------------------------------

export interface StartClusterOptions {
  /** Default 3 (minimum 3). */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** requirepass + masterauth on every node. */
  password?: string;
  /** cluster-node-timeout in ms. Default 2000. */
  nodeTimeoutMs?: number;
  /** Extra redis-server args for every node. */
  args?: string[];
  /** Deadline for the whole cluster to become healthy. Default 60 s. */
  timeoutMs?: number;
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
  flags: string[];
  masterId: string | undefined;
  linkState: string;
  slots: Array<[number, number]>;
}

export interface RedisCluster {
  readonly nodes: RedisServer[];
  readonly startupNodes: HostPort[];
  readonly urls: string[];
  readonly password?: string;
  /** Current masters (serving slots, not failed), per CLUSTER NODES of a live node. */
  masters(): Promise<RedisServer[]>;
  /** Current replicas (not failed), per CLUSTER NODES of a live node. */
  replicas(): Promise<RedisServer[]>;
  /** Parsed CLUSTER NODES as seen by `via` (default: first running node). */
  clusterNodes(via?: RedisServer): Promise<ClusterNodeInfo[]>;
  /** The node currently serving `key`'s slot. */
  masterForKey(key: string): Promise<RedisServer>;
  /** SIGKILL one master (default: the first current master) and return it. */
  killMaster(which?: RedisServer): Promise<RedisServer>;
  /** Wait until every running node reports cluster_state:ok and all slots are served by running masters. */
  waitForFailover(timeoutMs?: number): Promise<void>;
  /** Same check as after startup (also used by waitForFailover). */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** FLUSHALL on every current master. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const out: ClusterNodeInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const parts = line.trim().split(' ');
    if (parts.length < 8) continue;
    const [id, addr, flags, master, , , , linkState, ...slotParts] = parts;
    if (id === undefined || addr === undefined || flags === undefined || master === undefined)
      continue;
    const m = /:(\d+)@/.exec(addr);
    const slots: Array<[number, number]> = [];
    for (const s of slotParts) {
      if (s.startsWith('[')) continue; // migrating / importing marker
      const [a, b] = s.split('-');
      const from = Number(a);
      const to = b !== undefined ? Number(b) : from;
      if (Number.isInteger(from) && Number.isInteger(to)) slots.push([from, to]);
    }
    out.push({
      id,
      port: m?.[1] !== undefined ? Number(m[1]) : 0,
      flags: flags.split(','),
      masterId: master === '-' ? undefined : master,
      linkState: linkState ?? '',
      slots,
    });
  }
  return out;
}

const FAILED_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];
const isFailed = (n: ClusterNodeInfo): boolean => n.flags.some((f) => FAILED_FLAGS.includes(f));

class ManagedCluster implements RedisCluster {
  readonly nodes: ManagedServer[];
  readonly startupNodes: HostPort[];
  readonly urls: string[];
  readonly password?: string;
  private readonly masterCount: number;

  constructor(nodes: ManagedServer[], masterCount: number, password: string | undefined) {
    this.nodes = nodes;
    this.masterCount = masterCount;
    this.startupNodes = nodes.map((n) => ({ host: n.host, port: n.port }));
    this.urls = nodes.map((n) => n.url);
    if (password !== undefined) this.password = password;
  }

  private live(): ManagedServer[] {
    return this.nodes.filter((n) => n.running);
  }

  private byPort(port: number): ManagedServer | undefined {
    return this.nodes.find((n) => n.port === port);
  }

  async clusterNodes(via?: RedisServer): Promise<ClusterNodeInfo[]> {
    const candidates: RedisServer[] = via !== undefined ? [via] : this.live();
    let last: unknown = new Error('no running cluster node');
    for (const n of candidates) {
      try {
        return parseClusterNodes(await n.cli('CLUSTER', 'NODES'));
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async masters(): Promise<RedisServer[]> {
    const view = await this.clusterNodes();
    return view
      .filter((n) => n.flags.includes('master') && !isFailed(n) && n.slots.length > 0)
      .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
      .map((n) => this.byPort(n.port))
      .filter((n): n is ManagedServer => n !== undefined);
  }

  async replicas(): Promise<RedisServer[]> {
    const view = await this.clusterNodes();
    return view
      .filter((n) => n.flags.includes('slave') && !isFailed(n))
      .map((n) => this.byPort(n.port))
      .filter((n): n is ManagedServer => n !== undefined);
  }

  async masterForKey(key: string): Promise<RedisServer> {
    const slot = Number(await (this.live()[0] ?? this.nodes[0])?.cli('CLUSTER', 'KEYSLOT', key));
    const view = await this.clusterNodes();
    const owner = view.find(
      (n) =>
        n.flags.includes('master') &&
        !isFailed(n) &&
        n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    const server = owner !== undefined ? this.byPort(owner.port) : undefined;
    if (server === undefined) throw new Error(`no live master serves slot ${slot} (key ${key})`);
    return server;
  }

  async killMaster(which?: RedisServer): Promise<RedisServer> {
    const target = which ?? (await this.masters())[0];
    if (target === undefined) throw new Error('killMaster: no master found');
    await target.kill();
    return target;
  }

  /** One pass of the health check over the running nodes; returns a problem description or '' when healthy. */
  private async problems(): Promise<string> {
    const live = this.live();
    const livePorts = new Set(live.map((n) => n.port));
    const issues: string[] = [];
    await Promise.all(
      live.map(async (node) => {
        try {
          const info = parseInfo(await node.cli('CLUSTER', 'INFO'));
          if (info['cluster_state'] !== 'ok')
            issues.push(`${node.port}: cluster_state=${info['cluster_state']}`);
          const view = await this.clusterNodes(node);
          const covered = new Uint8Array(16384);
          let masters = 0;
          let replicas = 0;
          const masterIds = new Set(
            view.filter((n) => n.flags.includes('master')).map((n) => n.id),
          );
          for (const n of view) {
            if (!livePorts.has(n.port)) {
              if (n.flags.includes('master') && n.slots.length > 0) {
                issues.push(
                  `${node.port}: dead node ${n.port} still serves slots (${n.flags.join(',')})`,
                );
              }
              continue;
            }
            if (isFailed(n)) {
              issues.push(`${node.port}: sees live ${n.port} as ${n.flags.join(',')}`);
              continue;
            }
            if (n.flags.includes('slave')) {
              // every node must agree this is a replica of a known master
              if (n.masterId === undefined || !masterIds.has(n.masterId)) {
                issues.push(
                  `${node.port}: replica ${n.port} has unknown master ${n.masterId ?? '-'}`,
                );
              }
              replicas++;
              continue;
            }
            if (n.slots.length === 0) {
              issues.push(`${node.port}: sees ${n.port} as a master without slots`);
              continue;
            }
            masters++;
            for (const [a, b] of n.slots) covered.fill(1, a, b + 1);
          }
          const missing = covered.reduce((acc, v) => acc + (v === 0 ? 1 : 0), 0);
          if (missing > 0)
            issues.push(`${node.port}: ${missing} slots not served by a live master`);
          if (masters !== this.masterCount)
            issues.push(`${node.port}: sees ${masters} masters, want ${this.masterCount}`);
          if (masters + replicas !== live.length) {
            issues.push(
              `${node.port}: sees ${masters + replicas} healthy live nodes, want ${live.length}`,
            );
          }
          const self = view.find((n) => n.flags.includes('myself'));
          if (self?.flags.includes('slave') === true) {
            const repl = await node.info('replication');
            if (repl['master_link_status'] !== 'up') {
              issues.push(`${node.port}: replica master_link_status=${repl['master_link_status']}`);
            }
          }
        } catch (e) {
          issues.push(`${node.port}: ${errorText(e)}`);
        }
      }),
    );
    return issues.join('\n');
  }

  async waitForHealthy(timeoutMs = 30_000): Promise<void> {
    let last = '';
    await waitUntil(
      'redis cluster to become healthy',
      async () => {
        last = await this.problems();
        return last === '';
      },
      { timeoutMs, intervalMs: 100, describe: () => `problems:\n${last}` },
    );
  }

  waitForFailover(timeoutMs = 30_000): Promise<void> {
    return this.waitForHealthy(timeoutMs);
  }

  async flushAll(): Promise<void> {
    const masters = await this.masters();
    await Promise.all(masters.map((m) => m.cli('FLUSHALL')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

export async function startCluster(opts: StartClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 1;
  if (masters < 3)
    throw new Error('startCluster: redis-cli --cluster create needs at least 3 masters');
  const total = masters * (1 + replicas);
  const nodeTimeout = opts.nodeTimeoutMs ?? 2000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = Date.now();

  const results = await Promise.allSettled(
    Array.from({ length: total }, () =>
      launch(async (port, dir) => {
        const busPort = await freePort();
        const argv = baseArgs(port, dir, {
          'cluster-enabled': 'yes',
          'cluster-config-file': 'nodes.conf',
          'cluster-node-timeout': String(nodeTimeout),
          // explicit bus port (default port+10000 may be taken or > 65535)
          'cluster-port': String(busPort),
          // always allow a replica to take over, however stale (tests kill masters)
          'cluster-replica-validity-factor': '0',
        });
        if (opts.password !== undefined)
          argv.push('--requirepass', opts.password, '--masterauth', opts.password);
        argv.push(...(opts.args ?? []));
        const spec: ServerSpec = {
          kind: 'redis',
          port,
          dir,
          argv,
          startTimeoutMs: DEFAULT_START_TIMEOUT_MS,
        };
        if (opts.password !== undefined) spec.password = opts.password;
        return spec;
      }),
    ),
  );
  const nodes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
  }

  const cluster = new ManagedCluster(nodes, masters, opts.password);
  try {
    const auth = opts.password !== undefined ? ['-a', opts.password, '--no-auth-warning'] : [];
    await redisCli(
      [
        ...auth,
        '--cluster',
        'create',
        ...nodes.map((n) => `${HOST}:${n.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeoutMs: Math.max(10_000, timeoutMs - (Date.now() - started)) },
    );
    await cluster.waitForHealthy(Math.max(5_000, timeoutMs - (Date.now() - started)));
    // After a diskless full sync Redis 7 only starts streaming writes to a replica once
    // that replica sends its first REPLCONF ACK (up to ~1 s later); a master killed in
    // that window loses writes its replica "has". A replicated write + WAIT on every
    // master closes the window (FLUSHALL is harmless: the cluster is brand new).
    await Promise.all(
      (await cluster.masters()).map((m) =>
        waitForReplicaAcks(
          m,
          replicas,
          ['FLUSHALL'],
          Math.max(5_000, timeoutMs - (Date.now() - started)),
        ),
      ),
    );
  } catch (e) {
    const logs = nodes.map((n) => `--- ${n.describe()} ---\n${n.logs().slice(-2000)}`).join('\n');
    await cluster.stop();
    throw new Error(`startCluster failed: ${errorText(e)}\n${logs}`, { cause: e });
  }
  return cluster;
}

// ---------------------------------------------------------------------------
// sentinel
// ---------------------------------------------------------------------------

export interface StartSentinelOptions {
  /** Default 3. */
  sentinels?: number;
  /** Default 'mymaster'. */
  masterName?: string;
  /** requirepass/masterauth on master+replica and `sentinel auth-pass` (sentinels themselves have no password). */
  password?: string;
  /** `requirepass` of the sentinels themselves (and `sentinel sentinel-pass`, so they talk to each other). */
  sentinelPassword?: string;
  /** Deadline for the whole set to become healthy. Default 60 s. */
  timeoutMs?: number;
}

export interface FailoverOptions {
  /**
   * 'command' (default): `SENTINEL FAILOVER` — fast, both processes stay
   * up; the old master is then made a replica of the new one.
   * 'kill': SIGKILL the master and let the sentinels detect it (≈1 s
   * down-after) — the old master stays dead (`set.replica.running === false`).
   */
  mode?: 'command' | 'kill';
  timeoutMs?: number;
}

export interface RedisSentinelSet {
  /** The current master (updated by failover()). */
  readonly master: RedisServer;
  /** The current replica (after failover(): the old master). */
  readonly replica: RedisServer;
  readonly sentinels: RedisServer[];
  readonly masterName: string;
  readonly sentinelAddresses: HostPort[];
  readonly password?: string;
  /** Fail over to the replica; resolves with the new master once every running sentinel reports it. */
  failover(opts?: FailoverOptions): Promise<RedisServer>;
  /** Wait until every running sentinel reports `port` (default: master.port) via SENTINEL GET-MASTER-ADDR-BY-NAME. */
  waitForMasterAddress(port?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** SENTINEL REPLICAS / SENTINELS reply → list of field maps. */
function fieldMaps(reply: RespValue): Record<string, string>[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    const m: Record<string, string> = {};
    if (Array.isArray(entry)) {
      for (let i = 0; i + 1 < entry.length; i += 2)
        m[replyToText(entry[i] ?? null)] = replyToText(entry[i + 1] ?? null);
    }
    return m;
  });
}

const DOWN_FLAGS = ['s_down', 'o_down', 'disconnected'];
const isDown = (m: Record<string, string>): boolean =>
  (m['flags'] ?? '').split(',').some((f) => DOWN_FLAGS.includes(f));

class ManagedSentinelSet implements RedisSentinelSet {
  readonly sentinels: ManagedServer[];
  readonly masterName: string;
  readonly sentinelAddresses: HostPort[];
  readonly password?: string;
  private current: { master: ManagedServer; replica: ManagedServer };

  constructor(
    master: ManagedServer,
    replica: ManagedServer,
    sentinels: ManagedServer[],
    name: string,
    password?: string,
  ) {
    this.current = { master, replica };
    this.sentinels = sentinels;
    this.masterName = name;
    this.sentinelAddresses = sentinels.map((s) => ({ host: s.host, port: s.port }));
    if (password !== undefined) this.password = password;
  }

  get master(): RedisServer {
    return this.current.master;
  }

  get replica(): RedisServer {
    return this.current.replica;
  }

  private async masterAddr(s: RedisServer): Promise<number | undefined> {
    const r = await s.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName);
    return Array.isArray(r) && r.length === 2 ? Number(replyToText(r[1] ?? null)) : undefined;
  }

  /** Empty string when healthy. */
  async problems(): Promise<string> {
    const { master, replica } = this.current;
    const issues: string[] = [];
    const liveSentinels = this.sentinels.filter((s) => s.running);
    try {
      const repl = await replica.info('replication');
      if (repl['master_link_status'] !== 'up' || repl['master_port'] !== String(master.port)) {
        issues.push(
          `replica ${replica.port}: link=${repl['master_link_status']} master_port=${repl['master_port']}`,
        );
      }
    } catch (e) {
      issues.push(`replica ${replica.port}: ${errorText(e)}`);
    }
    await Promise.all(
      liveSentinels.map(async (s) => {
        try {
          const addr = await this.masterAddr(s);
          if (addr !== master.port)
            issues.push(`sentinel ${s.port}: master at ${addr}, want ${master.port}`);
          const replicas = fieldMaps(await s.command('SENTINEL', 'REPLICAS', this.masterName));
          const r = replicas.find((m) => m['port'] === String(replica.port));
          if (r === undefined)
            issues.push(`sentinel ${s.port}: does not know replica ${replica.port}`);
          else if (isDown(r) || r['master-link-status'] !== 'ok') {
            issues.push(
              `sentinel ${s.port}: replica ${replica.port} flags=${r['flags']} link=${r['master-link-status']}`,
            );
          }
          const others = fieldMaps(
            await s.command('SENTINEL', 'SENTINELS', this.masterName),
          ).filter((m) => !isDown(m));
          if (others.length < liveSentinels.length - 1) {
            issues.push(
              `sentinel ${s.port}: knows ${others.length} other sentinels, want ${liveSentinels.length - 1}`,
            );
          }
          await s.command('SENTINEL', 'CKQUORUM', this.masterName);
        } catch (e) {
          issues.push(`sentinel ${s.port}: ${errorText(e)}`);
        }
      }),
    );
    return issues.join('\n');
  }

  async waitForHealthy(timeoutMs: number): Promise<void> {
    let last = '';
    await waitUntil(
      'sentinel set to become healthy',
      async () => {
        last = await this.problems();
        return last === '';
      },
      { timeoutMs, intervalMs: 100, describe: () => `problems:\n${last}` },
    );
  }

  async waitForMasterAddress(port = this.current.master.port, timeoutMs = 30_000): Promise<void> {
    const live = (): ManagedServer[] => this.sentinels.filter((s) => s.running);
    let last = '';
    await waitUntil(
      `all sentinels to report master ${this.masterName} at port ${port}`,
      async () => {
        const addrs = await Promise.all(
          live().map((s) => this.masterAddr(s).catch(() => undefined)),
        );
        last = addrs.join(', ');
        return addrs.every((a) => a === port);
      },
      { timeoutMs, intervalMs: 100, describe: () => `sentinels report: ${last}` },
    );
  }

  async failover(opts: FailoverOptions = {}): Promise<RedisServer> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1_000, deadline - Date.now());
    const { master: oldMaster, replica: newMaster } = this.current;

    if (opts.mode === 'kill') {
      await oldMaster.kill();
    } else {
      const sentinel = this.sentinels.find((s) => s.running);
      if (sentinel === undefined) throw new Error('failover: no running sentinel');
      // NOGOODSLAVE / INPROG are transient (replica info not fresh yet, previous failover finishing)
      await waitUntil(
        'SENTINEL FAILOVER to be accepted',
        async () => {
          try {
            await sentinel.command('SENTINEL', 'FAILOVER', this.masterName);
            return true;
          } catch (e) {
            if (e instanceof RespError && /NOGOODSLAVE|INPROG/.test(e.message)) return false;
            throw e;
          }
        },
        { timeoutMs: left(), intervalMs: 200 },
      );
    }

    await this.waitForMasterAddress(newMaster.port, left());
    await waitUntil(
      `new master ${newMaster.port} to report role:master`,
      async () => (await newMaster.info('replication'))['role'] === 'master',
      { timeoutMs: left() },
    );
    this.current = { master: newMaster, replica: oldMaster };

    if (opts.mode !== 'kill') {
      // Sentinel would demote the old master itself only after ~8-10 s; do it now so
      // there is exactly one master when failover() returns.
      await oldMaster.command('REPLICAOF', HOST, String(newMaster.port));
      await waitUntil(
        `old master ${oldMaster.port} to sync from ${newMaster.port}`,
        async () => {
          const repl = await oldMaster.info('replication');
          return (
            repl['master_link_status'] === 'up' && repl['master_port'] === String(newMaster.port)
          );
        },
        { timeoutMs: left() },
      );
      await waitForReplicaAcks(newMaster, 1, ['SET', PROBE_KEY, '1'], left());
      await newMaster.cli('DEL', PROBE_KEY);
    }
    return newMaster;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.sentinels, this.current.master, this.current.replica].map((s) => s.stop()),
    );
  }
}

export async function startSentinel(opts: StartSentinelOptions = {}): Promise<RedisSentinelSet> {
  const count = opts.sentinels ?? 3;
  const name = opts.masterName ?? 'mymaster';
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = Date.now();
  const password = opts.password;
  const started_: ManagedServer[] = [];

  const dataNode =
    (replicaOf?: number) =>
    (port: number, dir: string): ServerSpec => {
      const argv = baseArgs(port, dir);
      if (password !== undefined) argv.push('--requirepass', password, '--masterauth', password);
      if (replicaOf !== undefined) argv.push('--replicaof', HOST, String(replicaOf));
      const spec: ServerSpec = {
        kind: 'redis',
        port,
        dir,
        argv,
        startTimeoutMs: DEFAULT_START_TIMEOUT_MS,
      };
      if (password !== undefined) spec.password = password;
      return spec;
    };

  try {
    const master = await launch(dataNode());
    started_.push(master);
    const replica = await launch(dataNode(master.port));
    started_.push(replica);
    await waitUntil(
      `replica ${replica.port} to sync from ${master.port}`,
      async () => (await replica.info('replication'))['master_link_status'] === 'up',
      {
        timeoutMs: Math.max(5_000, timeoutMs - (Date.now() - started)),
        intervalMs: POLL_INTERVAL_MS,
      },
    );

    // make sure writes are streamed to the replica (see waitForReplicaAcks)
    await waitForReplicaAcks(
      master,
      1,
      ['SET', PROBE_KEY, '1'],
      Math.max(5_000, timeoutMs - (Date.now() - started)),
    );
    await master.cli('DEL', PROBE_KEY);

    const quorum = Math.floor(count / 2) + 1;
    const sentinelResults = await Promise.allSettled(
      Array.from({ length: count }, () =>
        launch(async (port, dir) => {
          const conf = join(dir, 'sentinel.conf');
          const lines = [
            `port ${port}`,
            `bind ${HOST}`,
            `dir "${dir}"`,
            'daemonize no',
            'logfile ""',
            'protected-mode no',
            `sentinel monitor ${name} ${HOST} ${master.port} ${quorum}`,
            `sentinel down-after-milliseconds ${name} 1000`,
            `sentinel failover-timeout ${name} 3000`,
            `sentinel parallel-syncs ${name} 1`,
          ];
          if (password !== undefined) lines.push(`sentinel auth-pass ${name} ${password}`);
          const sentinelPassword = opts.sentinelPassword;
          if (sentinelPassword !== undefined) {
            lines.push(
              `requirepass ${sentinelPassword}`,
              `sentinel sentinel-pass ${sentinelPassword}`,
            );
          }
          await writeFile(conf, `${lines.join('\n')}\n`);
          const spec: ServerSpec = {
            kind: 'sentinel',
            port,
            dir,
            argv: [conf, '--sentinel'],
            startTimeoutMs: DEFAULT_START_TIMEOUT_MS,
          };
          if (sentinelPassword !== undefined) spec.password = sentinelPassword;
          return spec;
        }),
      ),
    );
    const sentinels = sentinelResults.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    started_.push(...sentinels);
    const failure = sentinelResults.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    );
    if (failure !== undefined) throw failure.reason;

    const set = new ManagedSentinelSet(master, replica, sentinels, name, password);
    await set.waitForHealthy(Math.max(5_000, timeoutMs - (Date.now() - started)));
    return set;
  } catch (e) {
    const logs = started_
      .map((n) => `--- ${n.describe()} ---\n${n.logs().slice(-2000)}`)
      .join('\n');
    await Promise.all(started_.map((n) => n.stop()));
    throw new Error(`startSentinel failed: ${errorText(e)}\n${logs}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------
// global cleanup
// ---------------------------------------------------------------------------

/** Stop every server, cluster node and sentinel this module started; remove temp dirs. */
export async function stopAll(): Promise<void> {
  const servers = [...allServers];
  const results = await Promise.allSettled(servers.map((s) => s.stop()));
  if (tlsDir !== undefined) {
    const dir = tlsDir;
    tlsDir = undefined;
    tlsMaterial = undefined;
    await removeDir(dir);
  }
  releaseWatchdogIfIdle();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined)
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
}
