/**
 * One managed redis-server / sentinel process: spawned as a child of the Jest worker (pipes and
 * process unref()'d), ready once it answers PING with its own pid, and stop / kill / restart
 * serialised per server.  Every server made is in `allServers` until stopped (see stopAll()).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import {
  cleanEnv,
  errorText,
  LOG_TAIL_BYTES,
  POLL_INTERVAL_MS,
  REDIS_SERVER_BIN,
  sleep,
  unrefHandle,
} from './env.js';
import { replyToText, respCommands } from './resp.js';
import { ServerConnection, type RedisServer, type ServerSpec } from './server.js';
import { parseInfo } from './wait.js';
import { releaseWatchdogIfIdle, trackChild, untrackChild, untrackDir } from './watchdog.js';

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

/** Every server this module instance made and has not stopped yet. */
export const allServers = new Set<ManagedServer>();

export class ManagedServer extends ServerConnection implements RedisServer {
  private readonly argv: string[];
  private readonly startTimeoutMs: number;
  private readonly log = new LogTail(LOG_TAIL_BYTES);
  private child: ChildProcess | undefined;
  private exitPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(spec: ServerSpec) {
    super(spec);
    this.argv = spec.argv;
    this.startTimeoutMs = spec.startTimeoutMs;
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
        untrackChild(child);
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
    trackChild(child);

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
