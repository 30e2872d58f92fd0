/**
 * Starts a throw-away redis-server on a free loopback port (never the usual 6379), without
 * persistence, and stops it again. The process is killed on exit even if the bench crashes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  host: string;
  port: number;
  url: string;
  /** `redis_version` from INFO. */
  version: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts redis-server (from PATH, or `REDIS_SERVER`); retries on another port if one is taken. */
export async function startRedisServer(
  binary = process.env.REDIS_SERVER ?? 'redis-server',
): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    if (port === 6379) continue;
    try {
      return await startOn(binary, port);
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `could not start ${binary}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

async function startOn(binary: string, port: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kvs-bench-redis-'));
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const cleanup = (): void => {
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`redis-server exited (${signal ?? code}): ${output.trim()}`)),
    );
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPong(port, 10_000), exited]);
    const info = await Promise.race([command(port, 'INFO server'), exited]);
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return {
      host: HOST,
      port,
      url: `redis://${HOST}:${port}`,
      version,
      stop: () => stop(child, cleanup),
    };
  } catch (err) {
    await stop(child, cleanup);
    throw err;
  }
}

async function stop(child: ChildProcess, cleanup: () => void): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
  cleanup();
}

/** A port the OS says is free on the loopback interface right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await command(port, 'PING')).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no PONG on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends one inline command and returns the raw reply once it looks complete. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${line}`));
    }, 2000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (isComplete(reply)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
  });
}

/** Whether `reply` holds one whole simple, error or bulk-string reply. */
function isComplete(reply: string): boolean {
  if (reply.startsWith('$')) {
    const eol = reply.indexOf('\r\n');
    if (eol < 0) return false;
    const length = Number(reply.slice(1, eol));
    return length < 0 || Buffer.byteLength(reply, 'latin1') >= eol + 2 + length + 2;
  }
  return reply.endsWith('\r\n');
}
