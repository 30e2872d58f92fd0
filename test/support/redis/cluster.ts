/**
 * A Redis Cluster (default 3 masters with 1 replica each) made with `redis-cli --cluster create`,
 * handed out once every node agrees it is healthy and every replica acknowledges writes.
 */
import { redisCli } from './cli.js';
import { errorText, HOST } from './env.js';
import { ManagedCluster, type RedisCluster } from './cluster.handle.js';
import { baseArgs, dataNodeSpec, launch, waitForReplicaAcks } from './launch.js';
import { freePort } from './ports.js';

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
        return dataNodeSpec(port, dir, argv, opts.password);
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
