/**
 * `commandTimeout` bounds every command from its own call, whatever else is waiting: Redis is
 * frozen with SIGSTOP (the connection stays up, nothing answers) and commands are issued at
 * staggered times, as in issue 10 (0, 500, 1500, 2500, 3500 ms with a 2000 ms timeout, here scaled
 * to a 500 ms timeout). Each must reject `KvsConnectionError` about commandTimeout ms after its
 * own call, in every mode; and no increment is ever sent twice.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { createRedisStore, isKvsError, type RedisStore } from '../../lib/index.js';
import {
  startCluster,
  startRedis,
  startSentinel,
  stopAll,
  type RedisServer,
} from '../support/redis-servers.js';

/** What each test opened, closed after it even when it fails. */
const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
}, 30_000);
afterAll(async () => {
  await stopAll();
}, 30_000);

const TIMEOUT = 500;
/** Room for a late timer or a busy event loop on a loaded 2-core machine. */
const LATE = 250;
/**
 * When each command is issued, in ms after Redis froze: the issue's example scaled by 1/4, plus a
 * command shortly after each of the first two, so that with poolSize 2 (round robin) each
 * connection too gets a command while its previous one waits.
 */
const ISSUED_AT = [0, 50, 125, 175, 375, 625, 875];

interface Outcome {
  operation: string;
  issuedAt: number;
  /** Ms from the call to its rejection (or resolution). */
  took: number;
  error: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Freezes `servers` (SIGSTOP), runs `body`, and thaws them whatever happens. */
async function frozen<T>(servers: readonly RedisServer[], body: () => Promise<T>): Promise<T> {
  for (const s of servers) process.kill(s.pid!, 'SIGSTOP');
  try {
    return await body();
  } finally {
    for (const s of servers) if (s.pid !== undefined) process.kill(s.pid, 'SIGCONT');
  }
}

/** Issues get, set, increment, ... at the staggered times and records when each one settled. */
async function staggered(store: RedisStore): Promise<Outcome[]> {
  const operations = [
    ['get', () => store.get('k')],
    ['set', () => store.set('k', Buffer.from('v'))],
    ['increment', () => store.increment('counter')],
    ['tryGet', () => store.tryGet('k')],
    ['getMany', () => store.getMany(['k', 'counter'])],
  ] as const;
  const start = performance.now();
  return Promise.all(
    ISSUED_AT.map(async (at, i) => {
      await sleep(at - (performance.now() - start));
      const [operation, call] = operations[i % operations.length]!;
      const issued = performance.now();
      const error = await call().then(
        () => undefined,
        (err: unknown) => err,
      );
      return {
        operation,
        issuedAt: Math.round(issued - start),
        took: Math.round(performance.now() - issued),
        error,
      };
    }),
  );
}

function expectBounded(outcomes: readonly Outcome[]): void {
  const report = outcomes.map((o) => `${o.operation}@${o.issuedAt}: ${o.took} ms`).join(', ');
  console.info(`commandTimeout ${TIMEOUT} ms: ${report}`);
  for (const o of outcomes) {
    expect({ ...o, bounded: o.took >= TIMEOUT - 5 && o.took <= TIMEOUT + LATE }).toMatchObject({
      bounded: true,
    });
    expect(isKvsError(o.error, 'KVS_CONNECTION')).toBe(true);
    expect((o.error as Error).message).toContain(`within ${TIMEOUT} ms (commandTimeout)`);
  }
}

/** After Redis answers again: the store works, and the increment ran at most once. */
async function expectRecovered(store: RedisStore): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await store.set('after', Buffer.from('1')).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the store did not recover after SIGCONT');
    await sleep(50);
  }
  // Redis ran the late increment once when it woke up, or not at all; never twice.
  const counter = await store.tryGet('counter');
  expect(['1', undefined]).toContain(counter?.toString());
  expect((await store.increment('counter')).toString()).toMatch(/^[12]$/);
}

/** Registers `thing` to be closed after the test, and returns it. */
function closeLater<T extends { close?(): Promise<unknown>; stop?(): Promise<unknown> }>(
  thing: T,
): T {
  opened.push(() => (thing.close ?? thing.stop)!.call(thing));
  return thing;
}

/** Freezes `servers`, runs the staggered commands on `store` and checks each one was bounded. */
async function check(store: RedisStore, servers: readonly RedisServer[]): Promise<void> {
  await store.delete('counter');
  const outcomes = await frozen(servers, () => staggered(store));
  expectBounded(outcomes);
  await expectRecovered(store);
  // Nothing of the timed-out calls is left in flight: close() does not wait for them.
  const closing = performance.now();
  await store.close();
  expect(performance.now() - closing).toBeLessThan(TIMEOUT);
}

describe('commandTimeout bounds each command from its own call', () => {
  it.each([
    ['auto-pipelining on (the default)', {}],
    ['auto-pipelining off', { autoPipelining: false }],
    ['poolSize 2', { poolSize: 2 }],
  ])(
    'standalone, %s',
    async (_mode, extra) => {
      const server = closeLater(await startRedis());
      const store = closeLater(
        await createRedisStore({ url: server.url, commandTimeout: TIMEOUT, ...extra }),
      );
      await check(store, [server]);
    },
    30_000,
  );

  it('Cluster', async () => {
    // A long node timeout: the frozen masters must not be failed over during the test.
    const cluster = closeLater(await startCluster({ nodeTimeoutMs: 30_000 }));
    const store = closeLater(
      await createRedisStore({ cluster: { nodes: cluster.startupNodes }, commandTimeout: TIMEOUT }),
    );
    await check(store, cluster.nodes);
  }, 90_000);

  it('Sentinel', async () => {
    const set = closeLater(await startSentinel());
    const store = closeLater(
      await createRedisStore({
        sentinel: { sentinels: set.sentinelAddresses, name: set.masterName },
        commandTimeout: TIMEOUT,
      }),
    );
    // The replica is frozen too, so the sentinels find no replica to promote meanwhile.
    await check(store, [set.master, set.replica]);
  }, 90_000);
});

describe('an increment is never sent twice', () => {
  it('Cluster: not even when its connection drops before Redis answered', async () => {
    const cluster = closeLater(await startCluster({ nodeTimeoutMs: 30_000 }));
    const store = closeLater(
      await createRedisStore({ cluster: { nodes: cluster.startupNodes }, commandTimeout: TIMEOUT }),
    );
    await store.delete('counter');
    await store.increment('counter'); // 1, and the script is loaded on its node
    const master = await cluster.masterForKey('counter');
    const node = (store.clients[0] as Cluster)
      .nodes('master')
      .find((n) => n.options.port === master.port)!;
    const error = await frozen([master], async () => {
      const counting = store.increment('counter').catch((err: unknown) => err);
      await sleep(100); // written to the frozen server's socket, not answered
      node.stream.destroy(); // the connection drops with the increment unanswered
      const err = await counting;
      await sleep(200); // time for a resend, if any, to be queued
      return err;
    });
    expect(isKvsError(error, 'KVS_CONNECTION')).toBe(true);
    // Thawed, Redis runs the increment it had received, once; nothing sends it again.
    let value: Buffer | undefined;
    for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
      const read = await store.tryGet('counter').then(
        (v) => ({ v }),
        () => undefined,
      );
      if (read !== undefined) {
        value = read.v;
        break;
      }
      if (Date.now() > deadline) throw new Error('the store did not recover after SIGCONT');
    }
    await sleep(1000); // time for a resend, if any, to run
    expect([value?.toString(), await master.cli('GET', 'counter')]).toEqual(['2', '2']);
  }, 90_000);
});
