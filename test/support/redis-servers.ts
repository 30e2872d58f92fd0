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
 *
 * This file is the harness's one import path; the parts live in ./redis/:
 *   env, wait, cli, ports   constants and small helpers, polling, redis-cli, free ports
 *   watchdog                crash safety: kills children / removes temp dirs if the worker dies
 *   resp, server, process   RESP client, RedisServer, one managed process (start/kill/restart/stop)
 *   launch, tls             data-node arguments and port-retrying start; throw-away TLS material
 *   standalone, cluster*, sentinel*   the three topologies;   cleanup   stopAll()
 * Suites that also want stores closed and a server per suite: ./backends.ts.
 */
export { redisCli } from './redis/cli.js';
export { startCluster, type StartClusterOptions } from './redis/cluster.js';
export type { RedisCluster } from './redis/cluster.handle.js';
export { parseClusterNodes, type ClusterNodeInfo } from './redis/cluster.nodes.js';
export { stopAll } from './redis/cleanup.js';
export { REDIS_CLI_BIN, REDIS_SERVER_BIN, type HostPort } from './redis/env.js';
export { freePort, isPortFree } from './redis/ports.js';
export { RespError, replyToText, type RespValue } from './redis/resp.js';
export { startSentinel, type StartSentinelOptions } from './redis/sentinel.js';
export type { FailoverOptions, RedisSentinelSet } from './redis/sentinel.handle.js';
export type { RedisServer } from './redis/server.js';
export { startRedis, type StartRedisOptions } from './redis/standalone.js';
export type { TlsMaterial } from './redis/tls.js';
export { parseInfo, waitUntil } from './redis/wait.js';
