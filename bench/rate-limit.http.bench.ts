/**
 * The HTTP side of the rate-limit bench: starts the apps of bench/rate-limit.http-server.bench.ts in
 * child processes and drives them with autocannon (throughput runs and bursts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Sample } from './lib/measure.js';
import type { RateLimitContender } from './rate-limit.http-server.bench.js';

/** The subset of autocannon's options and result this bench uses (it ships no types). */
export interface AutocannonOptions {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  headers?: Record<string, string>;
  requests?: { method: 'GET'; setupRequest: (req: { headers?: object }) => object }[];
}
export interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number } | undefined>;
}
export const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: AutocannonOptions,
) => Promise<AutocannonResult>;

/** Clients the throughput runs rotate over (`x-client`). */
export const CLIENTS = 10_000;
/** Concurrent connections of a throughput run. */
export const CONNECTIONS = 50;
/** The burst: requests, connections, and the route's limit. */
export const BURST = { requests: 1000, connections: 200, limit: 100 };

/** A running app in its child process. */
export interface Server {
  readonly port: number;
  /** The child's CPU time so far (µs, user + system). */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./rate-limit.http-server.bench.js', import.meta.url));

export function startServer(kind: RateLimitContender, url: string): Promise<Server> {
  return startChild(SERVER, [kind, url]);
}

/**
 * Forks `script` with `args`: a bench server that reports `{ port }` once listening, answers any
 * message with `{ cpu }` and exits when the parent disconnects.
 */
export async function startChild(script: string, args: readonly string[]): Promise<Server> {
  const child: ChildProcess = fork(script, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) =>
      reject(new Error(`${args.join(' ')} exited (${code}) before listening`)),
    );
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { cpu: number }).cpu));
        child.send('cpu');
      }),
    stop: async () => {
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One throughput run: `seconds` of GET /hot as CLIENTS clients; every request must be admitted. */
export async function hammer(
  server: Server,
  seconds: number,
  cpuPerRequest: number[],
): Promise<Sample> {
  let next = 0;
  const before = await server.cpu();
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/hot`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, 'x-client': `c${next++ % CLIENTS}` },
        }),
      },
    ],
  });
  const ms = performance.now() - started;
  if (result.errors + result.timeouts + result.non2xx > 0) {
    throw new Error(
      `port ${server.port}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  cpuPerRequest.push(((await server.cpu()) - before) / result['2xx']);
  return { ops: result['2xx'], ms };
}

/** One burst from a fresh client, split over `servers`; resolves with how many were admitted. */
export async function burst(servers: readonly Server[], id: string): Promise<number> {
  const results = await Promise.all(
    servers.map((s) =>
      autocannon({
        url: `http://127.0.0.1:${s.port}/burst`,
        connections: BURST.connections / servers.length,
        amount: BURST.requests / servers.length,
        headers: { 'x-client': id },
      }),
    ),
  );
  let admitted = 0;
  for (const r of results) {
    const refused = r.statusCodeStats['429']?.count ?? 0;
    if (r.errors + r.timeouts > 0 || r['2xx'] + refused !== BURST.requests / servers.length) {
      throw new Error(`burst ${id}: ${JSON.stringify(r.statusCodeStats)}, ${r.errors} errors`);
    }
    admitted += r['2xx'];
  }
  return admitted;
}
