/**
 * A running Redis Cluster as the tests see it (RedisCluster): its nodes, who is master now,
 * killing a master and waiting until the cluster has healed.
 */
import { errorText, type HostPort } from './env.js';
import type { ManagedServer } from './process.js';
import type { RedisServer } from './server.js';
import { isFailed, parseClusterNodes, type ClusterNodeInfo } from './cluster.nodes.js';
import { parseInfo, waitForNoProblems } from './wait.js';

export interface RedisCluster {
  readonly nodes: RedisServer[];
  readonly startupNodes: HostPort[];
  readonly urls: string[];
  readonly password?: string;
  /** Current masters (serving slots, not failed), per CLUSTER NODES of a live node. */
  masters(): Promise<RedisServer[]>;
  /** Current replicas (not failed), per CLUSTER NODES of a live node. */
  replicas(): Promise<RedisServer[]>;
  /** Parsed CLUSTER NODES as seen by `via` (default: first running node). */
  clusterNodes(via?: RedisServer): Promise<ClusterNodeInfo[]>;
  /** The node currently serving `key`'s slot. */
  masterForKey(key: string): Promise<RedisServer>;
  /** SIGKILL one master (default: the first current master) and return it. */
  killMaster(which?: RedisServer): Promise<RedisServer>;
  /** Wait until every running node reports cluster_state:ok and all slots are served by running masters. */
  waitForFailover(timeoutMs?: number): Promise<void>;
  /** Same check as after startup (also used by waitForFailover). */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** FLUSHALL on every current master. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

export class ManagedCluster implements RedisCluster {
  readonly nodes: ManagedServer[];
  readonly startupNodes: HostPort[];
  readonly urls: string[];
  readonly password?: string;
  private readonly masterCount: number;

  constructor(nodes: ManagedServer[], masterCount: number, password: string | undefined) {
    this.nodes = nodes;
    this.masterCount = masterCount;
    this.startupNodes = nodes.map((n) => ({ host: n.host, port: n.port }));
    this.urls = nodes.map((n) => n.url);
    if (password !== undefined) this.password = password;
  }

  private live(): ManagedServer[] {
    return this.nodes.filter((n) => n.running);
  }

  private byPort(port: number): ManagedServer | undefined {
    return this.nodes.find((n) => n.port === port);
  }

  async clusterNodes(via?: RedisServer): Promise<ClusterNodeInfo[]> {
    const candidates: RedisServer[] = via !== undefined ? [via] : this.live();
    let last: unknown = new Error('no running cluster node');
    for (const n of candidates) {
      try {
        return parseClusterNodes(await n.cli('CLUSTER', 'NODES'));
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async masters(): Promise<RedisServer[]> {
    const view = await this.clusterNodes();
    return view
      .filter((n) => n.flags.includes('master') && !isFailed(n) && n.slots.length > 0)
      .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
      .map((n) => this.byPort(n.port))
      .filter((n): n is ManagedServer => n !== undefined);
  }

  async replicas(): Promise<RedisServer[]> {
    const view = await this.clusterNodes();
    return view
      .filter((n) => n.flags.includes('slave') && !isFailed(n))
      .map((n) => this.byPort(n.port))
      .filter((n): n is ManagedServer => n !== undefined);
  }

  async masterForKey(key: string): Promise<RedisServer> {
    const slot = Number(await (this.live()[0] ?? this.nodes[0])?.cli('CLUSTER', 'KEYSLOT', key));
    const view = await this.clusterNodes();
    const owner = view.find(
      (n) =>
        n.flags.includes('master') &&
        !isFailed(n) &&
        n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    const server = owner !== undefined ? this.byPort(owner.port) : undefined;
    if (server === undefined) throw new Error(`no live master serves slot ${slot} (key ${key})`);
    return server;
  }

  async killMaster(which?: RedisServer): Promise<RedisServer> {
    const target = which ?? (await this.masters())[0];
    if (target === undefined) throw new Error('killMaster: no master found');
    await target.kill();
    return target;
  }

  /** One pass of the health check over the running nodes; returns a problem description or '' when healthy. */
  private async problems(): Promise<string> {
    const live = this.live();
    const livePorts = new Set(live.map((n) => n.port));
    const issues: string[] = [];
    await Promise.all(
      live.map(async (node) => {
        try {
          const info = parseInfo(await node.cli('CLUSTER', 'INFO'));
          if (info['cluster_state'] !== 'ok')
            issues.push(`${node.port}: cluster_state=${info['cluster_state']}`);
          const view = await this.clusterNodes(node);
          const covered = new Uint8Array(16384);
          let masters = 0;
          let replicas = 0;
          const masterIds = new Set(
            view.filter((n) => n.flags.includes('master')).map((n) => n.id),
          );
          for (const n of view) {
            if (!livePorts.has(n.port)) {
              if (n.flags.includes('master') && n.slots.length > 0) {
                issues.push(
                  `${node.port}: dead node ${n.port} still serves slots (${n.flags.join(',')})`,
                );
              }
              continue;
            }
            if (isFailed(n)) {
              issues.push(`${node.port}: sees live ${n.port} as ${n.flags.join(',')}`);
              continue;
            }
            if (n.flags.includes('slave')) {
              // every node must agree this is a replica of a known master
              if (n.masterId === undefined || !masterIds.has(n.masterId)) {
                issues.push(
                  `${node.port}: replica ${n.port} has unknown master ${n.masterId ?? '-'}`,
                );
              }
              replicas++;
              continue;
            }
            if (n.slots.length === 0) {
              issues.push(`${node.port}: sees ${n.port} as a master without slots`);
              continue;
            }
            masters++;
            for (const [a, b] of n.slots) covered.fill(1, a, b + 1);
          }
          const missing = covered.reduce((acc, v) => acc + (v === 0 ? 1 : 0), 0);
          if (missing > 0)
            issues.push(`${node.port}: ${missing} slots not served by a live master`);
          if (masters !== this.masterCount)
            issues.push(`${node.port}: sees ${masters} masters, want ${this.masterCount}`);
          if (masters + replicas !== live.length) {
            issues.push(
              `${node.port}: sees ${masters + replicas} healthy live nodes, want ${live.length}`,
            );
          }
          const self = view.find((n) => n.flags.includes('myself'));
          if (self?.flags.includes('slave') === true) {
            const repl = await node.info('replication');
            if (repl['master_link_status'] !== 'up') {
              issues.push(`${node.port}: replica master_link_status=${repl['master_link_status']}`);
            }
          }
        } catch (e) {
          issues.push(`${node.port}: ${errorText(e)}`);
        }
      }),
    );
    return issues.join('\n');
  }

  waitForHealthy(timeoutMs = 30_000): Promise<void> {
    return waitForNoProblems('redis cluster to become healthy', () => this.problems(), timeoutMs);
  }

  waitForFailover(timeoutMs = 30_000): Promise<void> {
    return this.waitForHealthy(timeoutMs);
  }

  async flushAll(): Promise<void> {
    const masters = await this.masters();
    await Promise.all(masters.map((m) => m.cli('FLUSHALL')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
