/**
 * `npm run start:sample` as a newcomer runs it: it builds, starts on the memory store, prints
 * where it listens, answers, and stops on SIGTERM; with KVS_URL, the same on a redis-server.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, isPortFree, startRedis, stopAll, waitUntil } from '../support/redis-servers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
afterAll(() => stopAll());

/** A running command, its output so far, and its exit. */
interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

/** Starts `command` in its own process group, without colours, with `env` on top of ours. */
function start(command: string, args: string[], env: Record<string, string>): Started {
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...process.env,
      KVS_URL: '',
      KVS_CLUSTER: '',
      SESSION_SECRET: '',
      NO_COLOR: '1',
      ...env,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/** SIGTERM to the whole process group (npm, sh and node), then waits for the port to be free. */
async function stop(started: Started, port: number): Promise<void> {
  try {
    process.kill(-started.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  await started.exited;
  await waitUntil(
    'the sample to release its port',
    async () => (await isPortFree(port)) || undefined,
    {
      timeoutMs: 10_000,
    },
  );
}

/** Waits until the sample has printed its banner. */
function banner(started: Started, port: number, timeoutMs: number): Promise<string> {
  const line = `nestjs-kvs sample on http://localhost:${port}, store: `;
  return waitUntil(
    'the sample banner',
    async () => {
      if (started.child.exitCode !== null) throw new Error(`exited:\n${started.output()}`);
      return started.output().includes(line) ? started.output() : undefined;
    },
    { timeoutMs, intervalMs: 100, describe: started.output },
  );
}

describe('npm run start:sample', () => {
  it('builds, starts on memory, prints a curl line per feature, answers, and stops', async () => {
    const port = await freePort();
    const sample = start('npm', ['run', 'start:sample'], { PORT: String(port) });
    try {
      const output = await banner(sample, port, 120_000);
      expect(output).toContain('store: memory');
      expect(output).toMatch(/WARN.*SESSION_SECRET is not set/);
      for (const route of ['keys', 'products', 'limited', 'auth', 'admin/flags', 'oauth'])
        expect(output).toMatch(new RegExp(`^ .*curl .*http://localhost:${port}/${route}`, 'm'));
      const res = await fetch(`http://127.0.0.1:${port}/products/1`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        id: '1',
        name: 'Espresso cup',
        category: 'cups',
        priceCents: 1200,
      });
    } finally {
      await stop(sample, port);
    }
  }, 150_000);

  it('runs on Redis with KVS_URL', async () => {
    const redis = await startRedis();
    const port = await freePort();
    const sample = start('npm', ['run', 'start:sample'], {
      PORT: String(port),
      KVS_URL: redis.url,
      SESSION_SECRET: 'a secret',
    });
    try {
      const output = await banner(sample, port, 120_000);
      expect(output).toContain(`store: RedisStore(${redis.url}, keyPrefix "sample:")`);
      expect(output).not.toContain('SESSION_SECRET is not set');
      const res = await fetch(`http://127.0.0.1:${port}/keys/greeting`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: 'hello' }),
      });
      expect(res.status).toBe(204);
      expect(await redis.cli('GET', 'sample:keys:greeting')).toBe('hello');
    } finally {
      await stop(sample, port);
    }
  }, 150_000);
});
