/**
 * Proves the real-redis test harness in test/support/redis-servers.ts works:
 * standalone lifecycle, Cluster failover and Sentinel failover, against real
 * redis-server processes started by the harness itself.
 */
import { access } from 'node:fs/promises';
import {
  freePort,
  isPortFree,
  parseInfo,
  redisCli,
  startCluster,
  startRedis,
  startSentinel,
  stopAll,
  type RedisServer,
} from './support/redis-servers.js';

const timings: string[] = [];
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings.push(`${label}: ${Date.now() - t0} ms`);
  }
}

afterAll(async () => {
  await stopAll();
  if (process.env['HARNESS_TIMINGS'] !== undefined)
    process.stdout.write(`\n[harness timings]\n${timings.join('\n')}\n`);
}, 30_000);

async function clusterState(node: RedisServer): Promise<string | undefined> {
  return parseInfo(await node.cli('CLUSTER', 'INFO'))['cluster_state'];
}

describe('freePort', () => {
  it('hands out distinct, bindable ports and never 6379', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(6379);
    for (const p of ports.slice(0, 3)) expect(await isPortFree(p)).toBe(true);
  });
});

describe('standalone', () => {
  it('starts, answers PING, restarts on the same port, and stop() frees the port', async () => {
    const server = await timed('startRedis', () => startRedis());
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await server.cli('PING')).toBe('PONG');
    expect(await redisCli(['-p', String(server.port), 'PING'])).toBe('PONG');
    expect(await isPortFree(server.port)).toBe(false);

    const firstPid = server.pid;
    expect(await server.cli('SET', 'k', 'v')).toBe('OK');
    await timed('restart', () => server.restart());
    expect(server.pid).toBeDefined();
    expect(server.pid).not.toBe(firstPid);
    expect(await server.cli('PING')).toBe('PONG');
    expect(await server.cli('DBSIZE')).toBe('0'); // --save '' : nothing survives a restart

    await server.stop();
    await server.stop(); // idempotent
    expect(server.running).toBe(false);
    expect(await isPortFree(server.port)).toBe(true);
    await expect(access(server.dir)).rejects.toThrow();
  }, 30_000);

  it('kill() keeps the dir, restart() comes back on the same port', async () => {
    const server = await startRedis();
    await server.kill();
    expect(server.running).toBe(false);
    await expect(server.cli('PING')).rejects.toThrow();
    await access(server.dir);
    await server.restart();
    expect(await server.cli('PING')).toBe('PONG');
    await server.stop();
  }, 30_000);

  it('fails fast with the server log on bad arguments', async () => {
    await expect(startRedis({ args: ['--no-such-option', 'x'] })).rejects.toThrow(/no-such-option/);
  }, 30_000);

  it('supports password, ACL user, unix socket and TLS', async () => {
    const [withPassword, withAcl, withSocket, withTls] = await Promise.all([
      startRedis({ password: 's3cret' }),
      startRedis({ aclUser: { name: 'app', password: 'app-pw' } }),
      startRedis({ unixSocket: true }),
      startRedis({ tls: { authClients: true } }),
    ]);

    expect(withPassword.url).toBe(`redis://:s3cret@127.0.0.1:${withPassword.port}`);
    expect(await withPassword.cli('PING')).toBe('PONG');
    expect(await redisCli(['-p', String(withPassword.port), 'PING'])).toMatch(/NOAUTH/);

    expect(withAcl.url).toBe(`redis://app:app-pw@127.0.0.1:${withAcl.port}`);
    expect(await withAcl.cli('ACL', 'WHOAMI')).toBe('app');

    expect(withSocket.socketPath).toBeDefined();
    expect(await redisCli(['-s', withSocket.socketPath ?? '', 'PING'])).toBe('PONG');

    expect(withTls.url).toBe(`rediss://127.0.0.1:${withTls.port}`);
    expect(await withTls.cli('PING')).toBe('PONG');
    const tls = withTls.tls;
    expect(tls).toBeDefined();
    expect(
      await redisCli([
        '--tls',
        '--cacert',
        tls?.caFile ?? '',
        '--cert',
        tls?.certFile ?? '',
        '--key',
        tls?.keyFile ?? '',
        '-p',
        String(withTls.port),
        'PING',
      ]),
    ).toBe('PONG');

    await Promise.all([withPassword.stop(), withAcl.stop(), withSocket.stop(), withTls.stop()]);
  }, 30_000);
});

describe('cluster', () => {
  it('reaches cluster_state:ok, routes with redis-cli -c, and survives a master failure', async () => {
    const cluster = await timed('startCluster', () => startCluster());
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.startupNodes).toHaveLength(6);
    expect(cluster.urls[0]).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    for (const node of cluster.nodes) expect(await clusterState(node)).toBe('ok');
    expect(await cluster.masters()).toHaveLength(3);

    const [first, , , fourth] = cluster.nodes;
    if (first === undefined || fourth === undefined) throw new Error('missing nodes');
    expect(await redisCli(['-c', '-p', String(first.port), 'SET', 'harness:key', 'v1'])).toBe('OK');
    expect(await redisCli(['-c', '-p', String(fourth.port), 'GET', 'harness:key'])).toBe('v1');

    // make sure the replica has the key before its master dies (WAIT only covers
    // writes made on the same connection, hence the pipeline)
    const owner = await cluster.masterForKey('harness:key');
    expect(await owner.pipeline(['SET', 'harness:key', 'v1'], ['WAIT', '1', '5000'])).toEqual([
      'OK',
      '1',
    ]);

    const killed = await cluster.killMaster(owner);
    expect(killed).toBe(owner);
    expect(killed.running).toBe(false);
    await timed('cluster failover', () => cluster.waitForFailover());

    const survivors = cluster.nodes.filter((n) => n.running);
    expect(survivors).toHaveLength(5);
    for (const node of survivors) expect(await clusterState(node)).toBe('ok');
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    expect(masters).not.toContain(killed);
    const newOwner = await cluster.masterForKey('harness:key');
    expect(newOwner).not.toBe(killed);
    expect(await redisCli(['-c', '-p', String(newOwner.port), 'GET', 'harness:key'])).toBe('v1');

    await cluster.flushAll();
    for (const m of masters) expect(await m.cli('DBSIZE')).toBe('0');

    await timed('cluster stop', () => cluster.stop());
    for (const node of cluster.nodes) expect(await isPortFree(node.port)).toBe(true);
  }, 60_000);
});

describe('sentinel', () => {
  it('reports the master and moves it to the replica on failover', async () => {
    const set = await timed('startSentinel', () => startSentinel());
    expect(set.masterName).toBe('mymaster');
    expect(set.sentinels).toHaveLength(3);
    expect(set.sentinelAddresses).toHaveLength(3);

    const oldMaster = set.master;
    const oldReplica = set.replica;
    for (const s of set.sentinelAddresses) {
      expect(
        await redisCli(['-p', String(s.port), 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster']),
      ).toBe(`127.0.0.1\n${oldMaster.port}`);
    }
    expect(await oldMaster.cli('SET', 'before', '1')).toBe('OK');

    const newMaster = await timed('sentinel failover (command)', () => set.failover());
    expect(newMaster).toBe(oldReplica);
    expect(set.master).toBe(oldReplica);
    expect(set.replica).toBe(oldMaster);
    for (const s of set.sentinels) {
      expect(await s.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toBe(
        `127.0.0.1\n${newMaster.port}`,
      );
    }
    expect((await newMaster.info('replication'))['role']).toBe('master');
    expect((await oldMaster.info('replication'))['role']).toBe('slave');
    expect(await newMaster.cli('GET', 'before')).toBe('1');
    expect(await newMaster.cli('SET', 'after', '2')).toBe('OK');

    // and back again, this time by killing the master
    const third = await timed('sentinel failover (kill)', () => set.failover({ mode: 'kill' }));
    expect(third).toBe(oldMaster);
    expect(newMaster.running).toBe(false);
    expect((await third.info('replication'))['role']).toBe('master');

    await set.stop();
  }, 60_000);
});
