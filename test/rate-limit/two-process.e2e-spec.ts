/**
 * Exactness across processes: two Nest applications in separate Node processes share one Redis;
 * 500 concurrent requests spread over both admit exactly the limit (50), for each algorithm.
 *
 * The app (fixtures/rate-limit-node.app.ts) runs in plain Node through the repository's TypeScript
 * loader hooks (test/support/ts-register.mjs: transpileModule with decorator metadata).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Agent, get as httpGet } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./fixtures/rate-limit-node.app.ts', import.meta.url));
const LOADER = fileURLToPath(new URL('../support/ts-register.mjs', import.meta.url));

/** Starts one app process and resolves with its port. */
async function startApp(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', LOADER, ENTRY], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the app exited (${String(code)}): ${errors}`);
    }),
  ]);
  return { child, port: (JSON.parse(first) as { port: number }).port };
}

const children: ChildProcess[] = [];
let server: RedisServer;
let ports: number[];

beforeAll(async () => {
  server = await startRedis();
  const env = { REDIS_URL: server.url, KEY_PREFIX: `${randomUUID()}:` };
  ports = (await Promise.all([startApp(env), startApp(env)])).map((a) => a.port);
}, 60_000);

afterAll(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
  await stopAll();
}, 30_000);

/**
 * Kept-alive connections, at most 64 per process: 500 sockets opened at once overflow a loaded
 * machine's listen backlog (ECONNRESET) before any request reaches the guard.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
afterAll(() => agent.destroy());

function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

describe('two application processes sharing one Redis', () => {
  it.each(['sliding', 'fixed', 'bucket'])(
    'admit exactly 50 of 500 concurrent requests (%s)',
    async (route) => {
      const statuses = await Promise.all(
        Array.from({ length: 500 }, async (_, i) => {
          return statusOf(ports[i % 2]!, `/${route}`);
        }),
      );
      const count = (status: number) => statuses.filter((s) => s === status).length;
      expect({
        admitted: count(200),
        refused: count(429),
        other: statuses.length - count(200) - count(429),
      }).toEqual({
        admitted: 50,
        refused: 450,
        other: 0,
      });
    },
    60_000,
  );
});
