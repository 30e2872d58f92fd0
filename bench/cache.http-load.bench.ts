/**
 * Load for the cache bench's HTTP part: starts each app in a child process
 * (bench/cache.http-server.bench.ts), so the load generator and the server do not share an event
 * loop, and drives it with autocannon.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Sample } from './lib/measure.js';

/** The subset of autocannon's options and result this bench uses (it ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests: { method: 'GET'; setupRequest: (req: object) => object }[];
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: AutocannonOptions,
) => Promise<AutocannonResult>;

/** What a run measured beyond the rate: latency and the server process's CPU per request. */
export interface HttpRun extends Sample {
  p50: number;
  p99: number;
  serverCpuMicros: number;
}

/** A running app in its child process. */
export interface HttpServer {
  readonly port: number;
  /** Handler runs so far and the child's CPU time (µs, user + system). */
  probe(): Promise<{ handled: number; cpu: number }>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./cache.http-server.bench.js', import.meta.url));

/**
 * Starts the app of `kind` in a child process against the Redis at `url`: `script` (by default
 * bench/cache.http-server.bench.ts) run as `node <script> <kind> <url>`, with the same protocol.
 */
export async function startHttpServer(
  kind: string,
  url: string,
  script = SERVER,
): Promise<HttpServer> {
  const child: ChildProcess = fork(script, [kind, url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) =>
      reject(new Error(`${kind} server exited (${code}) before listening`)),
    );
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    probe: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { handled: number; cpu: number }));
        child.send('probe');
      }),
    stop: async () => {
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** GETs every id once, so that the measured runs only hit the cache. */
export async function warm(server: HttpServer, ids: number): Promise<void> {
  for (let id = 0; id < ids; id++) {
    const res = await fetch(`http://127.0.0.1:${server.port}/products/${id}`);
    if (res.status !== 200) throw new Error(`GET /products/${id} answered ${res.status}`);
    await res.arrayBuffer();
  }
}

/** One autocannon run of `seconds` with `connections`, cycling through `ids` product ids. */
export async function hammer(
  server: HttpServer,
  ids: number,
  seconds: number,
  connections: number,
): Promise<HttpRun> {
  let next = 0;
  const before = await server.probe();
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/products/${next++ % ids}` }),
      },
    ],
  });
  const ms = performance.now() - started;
  const after = await server.probe();
  if (result.errors + result.timeouts + result.non2xx > 0) {
    throw new Error(
      `port ${server.port}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  const ops = result['2xx'];
  return {
    ops,
    ms,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpuMicros: (after.cpu - before.cpu) / ops,
  };
}
