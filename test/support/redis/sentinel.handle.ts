/**
 * A running Sentinel set as the tests see it (RedisSentinelSet): the current master and replica,
 * the sentinels, a health check, and failover by command or by killing the master.
 */
import { errorText, HOST, type HostPort } from './env.js';
import { PROBE_KEY, waitForReplicaAcks } from './launch.js';
import type { ManagedServer } from './process.js';
import { replyToText, RespError, type RespValue } from './resp.js';
import type { RedisServer } from './server.js';
import { waitForNoProblems, waitUntil } from './wait.js';

export interface FailoverOptions {
  /**
   * 'command' (default): `SENTINEL FAILOVER` — fast, both processes stay
   * up; the old master is then made a replica of the new one.
   * 'kill': SIGKILL the master and let the sentinels detect it (≈1 s
   * down-after) — the old master stays dead (`set.replica.running === false`).
   */
  mode?: 'command' | 'kill';
  timeoutMs?: number;
}

export interface RedisSentinelSet {
  /** The current master (updated by failover()). */
  readonly master: RedisServer;
  /** The current replica (after failover(): the old master). */
  readonly replica: RedisServer;
  readonly sentinels: RedisServer[];
  readonly masterName: string;
  readonly sentinelAddresses: HostPort[];
  readonly password?: string;
  /** Fail over to the replica; resolves with the new master once every running sentinel reports it. */
  failover(opts?: FailoverOptions): Promise<RedisServer>;
  /** Wait until every running sentinel reports `port` (default: master.port) via SENTINEL GET-MASTER-ADDR-BY-NAME. */
  waitForMasterAddress(port?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** SENTINEL REPLICAS / SENTINELS reply → list of field maps. */
function fieldMaps(reply: RespValue): Record<string, string>[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    const m: Record<string, string> = {};
    if (Array.isArray(entry)) {
      for (let i = 0; i + 1 < entry.length; i += 2)
        m[replyToText(entry[i] ?? null)] = replyToText(entry[i + 1] ?? null);
    }
    return m;
  });
}

const DOWN_FLAGS = ['s_down', 'o_down', 'disconnected'];
const isDown = (m: Record<string, string>): boolean =>
  (m['flags'] ?? '').split(',').some((f) => DOWN_FLAGS.includes(f));

export class ManagedSentinelSet implements RedisSentinelSet {
  readonly sentinels: ManagedServer[];
  readonly masterName: string;
  readonly sentinelAddresses: HostPort[];
  readonly password?: string;
  private current: { master: ManagedServer; replica: ManagedServer };

  constructor(
    master: ManagedServer,
    replica: ManagedServer,
    sentinels: ManagedServer[],
    name: string,
    password?: string,
  ) {
    this.current = { master, replica };
    this.sentinels = sentinels;
    this.masterName = name;
    this.sentinelAddresses = sentinels.map((s) => ({ host: s.host, port: s.port }));
    if (password !== undefined) this.password = password;
  }

  get master(): RedisServer {
    return this.current.master;
  }

  get replica(): RedisServer {
    return this.current.replica;
  }

  private async masterAddr(s: RedisServer): Promise<number | undefined> {
    const r = await s.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName);
    return Array.isArray(r) && r.length === 2 ? Number(replyToText(r[1] ?? null)) : undefined;
  }

  /** Empty string when healthy. */
  async problems(): Promise<string> {
    const { master, replica } = this.current;
    const issues: string[] = [];
    const liveSentinels = this.sentinels.filter((s) => s.running);
    try {
      const repl = await replica.info('replication');
      if (repl['master_link_status'] !== 'up' || repl['master_port'] !== String(master.port)) {
        issues.push(
          `replica ${replica.port}: link=${repl['master_link_status']} master_port=${repl['master_port']}`,
        );
      }
    } catch (e) {
      issues.push(`replica ${replica.port}: ${errorText(e)}`);
    }
    await Promise.all(
      liveSentinels.map(async (s) => {
        try {
          const addr = await this.masterAddr(s);
          if (addr !== master.port)
            issues.push(`sentinel ${s.port}: master at ${addr}, want ${master.port}`);
          const replicas = fieldMaps(await s.command('SENTINEL', 'REPLICAS', this.masterName));
          const r = replicas.find((m) => m['port'] === String(replica.port));
          if (r === undefined)
            issues.push(`sentinel ${s.port}: does not know replica ${replica.port}`);
          else if (isDown(r) || r['master-link-status'] !== 'ok') {
            issues.push(
              `sentinel ${s.port}: replica ${replica.port} flags=${r['flags']} link=${r['master-link-status']}`,
            );
          }
          const others = fieldMaps(
            await s.command('SENTINEL', 'SENTINELS', this.masterName),
          ).filter((m) => !isDown(m));
          if (others.length < liveSentinels.length - 1) {
            issues.push(
              `sentinel ${s.port}: knows ${others.length} other sentinels, want ${liveSentinels.length - 1}`,
            );
          }
          await s.command('SENTINEL', 'CKQUORUM', this.masterName);
        } catch (e) {
          issues.push(`sentinel ${s.port}: ${errorText(e)}`);
        }
      }),
    );
    return issues.join('\n');
  }

  waitForHealthy(timeoutMs: number): Promise<void> {
    return waitForNoProblems('sentinel set to become healthy', () => this.problems(), timeoutMs);
  }

  async waitForMasterAddress(port = this.current.master.port, timeoutMs = 30_000): Promise<void> {
    const live = (): ManagedServer[] => this.sentinels.filter((s) => s.running);
    let last = '';
    await waitUntil(
      `all sentinels to report master ${this.masterName} at port ${port}`,
      async () => {
        const addrs = await Promise.all(
          live().map((s) => this.masterAddr(s).catch(() => undefined)),
        );
        last = addrs.join(', ');
        return addrs.every((a) => a === port);
      },
      { timeoutMs, intervalMs: 100, describe: () => `sentinels report: ${last}` },
    );
  }

  async failover(opts: FailoverOptions = {}): Promise<RedisServer> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1_000, deadline - Date.now());
    const { master: oldMaster, replica: newMaster } = this.current;

    if (opts.mode === 'kill') {
      await oldMaster.kill();
    } else {
      const sentinel = this.sentinels.find((s) => s.running);
      if (sentinel === undefined) throw new Error('failover: no running sentinel');
      // NOGOODSLAVE / INPROG are transient (replica info not fresh yet, previous failover finishing)
      await waitUntil(
        'SENTINEL FAILOVER to be accepted',
        async () => {
          try {
            await sentinel.command('SENTINEL', 'FAILOVER', this.masterName);
            return true;
          } catch (e) {
            if (e instanceof RespError && /NOGOODSLAVE|INPROG/.test(e.message)) return false;
            throw e;
          }
        },
        { timeoutMs: left(), intervalMs: 200 },
      );
    }

    await this.waitForMasterAddress(newMaster.port, left());
    await waitUntil(
      `new master ${newMaster.port} to report role:master`,
      async () => (await newMaster.info('replication'))['role'] === 'master',
      { timeoutMs: left() },
    );
    this.current = { master: newMaster, replica: oldMaster };

    if (opts.mode !== 'kill') {
      // Sentinel would demote the old master itself only after ~8-10 s; do it now so
      // there is exactly one master when failover() returns.
      await oldMaster.command('REPLICAOF', HOST, String(newMaster.port));
      await waitUntil(
        `old master ${oldMaster.port} to sync from ${newMaster.port}`,
        async () => {
          const repl = await oldMaster.info('replication');
          return (
            repl['master_link_status'] === 'up' && repl['master_port'] === String(newMaster.port)
          );
        },
        { timeoutMs: left() },
      );
      await waitForReplicaAcks(newMaster, 1, ['SET', PROBE_KEY, '1'], left());
      await newMaster.cli('DEL', PROBE_KEY);
    }
    return newMaster;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.sentinels, this.current.master, this.current.replica].map((s) => s.stop()),
    );
  }
}
