/**
 * A Sentinel set: one master, one replica and (default) 3 sentinels monitoring them, handed out
 * once the replica streams writes and every sentinel knows the others.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_START_TIMEOUT_MS, errorText, HOST, POLL_INTERVAL_MS } from './env.js';
import { baseArgs, dataNodeSpec, launch, PROBE_KEY, waitForReplicaAcks } from './launch.js';
import type { ManagedServer } from './process.js';
import type { ServerSpec } from './server.js';
import { ManagedSentinelSet, type RedisSentinelSet } from './sentinel.handle.js';
import { waitUntil } from './wait.js';

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
      return dataNodeSpec(port, dir, argv, password);
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
