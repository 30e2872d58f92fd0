/**
 * What standalone, cluster and sentinel share when they start servers: the redis-server
 * arguments of every data node, a start that retries on a port grabbed in the meantime, and
 * "replicas acknowledge writes" (WAIT) before a topology is handed out.
 */
import { DEFAULT_START_TIMEOUT_MS, errorText, HOST } from './env.js';
import { freePort } from './ports.js';
import { allServers, ManagedServer } from './process.js';
import type { RedisServer, ServerSpec } from './server.js';
import { waitUntil } from './wait.js';
import { makeDir, removeDir } from './watchdog.js';

/** A key the harness writes (and deletes) to check replication. */
export const PROBE_KEY = '__nestjs_kvs_harness_probe__';

/** `{ port: '1', save: '' }` → `['--port', '1', '--save', '']` (redis-server command-line config). */
function flags(options: Record<string, string>): string[] {
  return Object.entries(options).flatMap(([name, value]) => [`--${name}`, value]);
}

/** Arguments shared by all data nodes (standalone, cluster, sentinel-managed). */
export function baseArgs(port: number, dir: string, extra: Record<string, string> = {}): string[] {
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

/** The spec of a data node (kind 'redis') started with `argv`, authenticated with `password`. */
export function dataNodeSpec(
  port: number,
  dir: string,
  argv: string[],
  password: string | undefined,
  startTimeoutMs = DEFAULT_START_TIMEOUT_MS,
): ServerSpec {
  const spec: ServerSpec = { kind: 'redis', port, dir, argv, startTimeoutMs };
  if (password !== undefined) spec.password = password;
  return spec;
}

/**
 * Start a server built by `build(port, dir)`; retry with a new port when the
 * chosen one was grabbed by someone else in the meantime (EADDRINUSE).
 */
export async function launch(
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

/**
 * Run `write` (a replicated write) followed by `WAIT replicas` on one
 * connection to `master`, retrying until `replicas` replicas acknowledged it.
 */
export async function waitForReplicaAcks(
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
