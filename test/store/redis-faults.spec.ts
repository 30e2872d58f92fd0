/**
 * Faults real deployments see: a Cluster master killed under traffic, a Sentinel failover. The
 * store must come back by itself, and fail fast with KvsConnectionError meanwhile. The figures
 * (failed operations, outage length) are printed for the record.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createRedisStore, isKvsError, type KvsStore } from '../../lib/index.js';
import { startCluster, startSentinel, stopAll } from '../support/redis-servers.js';

afterAll(async () => {
  await stopAll();
}, 30_000);

interface Traffic {
  ok: number;
  failed: number;
  otherErrors: string[];
  firstFailure?: number;
  lastFailure?: number;
  stop(): Promise<void>;
}

/** Writes and reads in `workers` loops until stopped, counting successes and failures. */
function traffic(store: KvsStore, workers = 8): Traffic {
  let running = true;
  const t: Traffic = { ok: 0, failed: 0, otherErrors: [], stop: async () => undefined };
  const loop = async (w: number) => {
    for (let i = 0; running; i++) {
      const key = `w${w}:${i % 50}`;
      try {
        await store.set(key, Buffer.from(String(i)));
        await store.get(key);
        t.ok++;
      } catch (err) {
        t.failed++;
        t.firstFailure ??= Date.now();
        t.lastFailure = Date.now();
        if (!isKvsError(err, 'KVS_CONNECTION')) t.otherErrors.push(String(err));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => loop(w));
  t.stop = async () => {
    running = false;
    await Promise.all(loops);
  };
  return t;
}

/** Resolves once `store` answers a write again, returning how long that took. */
async function recovery(store: KvsStore, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const ok = await store.set('probe', Buffer.from('1')).then(
      () => true,
      () => false,
    );
    if (ok) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the store did not recover within ${timeoutMs} ms`);
}

describe('faults', () => {
  it('keeps serving a Cluster through a master failover, without a restart', async () => {
    const cluster = await startCluster();
    const store = await createRedisStore({
      cluster: { nodes: cluster.startupNodes },
      commandTimeout: 1000,
    });
    const load = traffic(store);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = Date.now();
    await cluster.killMaster();
    await cluster.waitForFailover(30_000);
    await recovery(store, 20_000);
    const before = load.ok;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await load.stop();
    const outage = (load.lastFailure ?? killedAt) - killedAt;
    console.info(
      `cluster failover: ${load.ok} ok, ${load.failed} failed (all KvsConnectionError: ${load.otherErrors.length === 0}), ` +
        `failures for ${outage} ms after the kill`,
    );
    expect(load.otherErrors).toEqual([]);
    expect(load.ok).toBeGreaterThan(before);
    await store.close();
    await cluster.stop();
  }, 90_000);

  it('follows the new master after a Sentinel failover', async () => {
    const set = await startSentinel();
    const store = await createRedisStore({
      sentinel: { sentinels: set.sentinelAddresses, name: set.masterName },
      commandTimeout: 1000,
    });
    await store.set('before', Buffer.from('1'));
    const load = traffic(store, 4);
    const started = Date.now();
    const promoted = await set.failover({ mode: 'kill' });
    const took = await recovery(store, 20_000);
    await load.stop();
    console.info(
      `sentinel failover: recovered ${Date.now() - started} ms after the kill (${took} ms after the new master was announced); ` +
        `${load.ok} ok, ${load.failed} failed`,
    );
    expect(load.otherErrors).toEqual([]);
    expect(await promoted.cli('GET', 'probe')).toBe('1');
    expect((await store.get('before')).toString()).toBe('1');
    await store.close();
    await set.stop();
  }, 90_000);
});
