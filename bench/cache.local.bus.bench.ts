/**
 * The local section's bus part. (1) Invalidation delay: two child processes, each a Nest app with
 * the local tier on the same redis-server (bench/cache.local.bus-node.bench.ts). B holds a key in
 * L1 and watches its counters; A writes (or deletes) the key; the delay is from the moment A
 * starts the write to the moment B has dropped its copy. Both read `process.hrtime.bigint()`,
 * which on Linux is CLOCK_MONOTONIC, one clock for every process of the machine (checked at the
 * start against the parent's own reading around each child's), so the two timestamps subtract
 * directly; no round trip is halved. (2) What the bus adds to a write: `KvsCache.set` with the
 * local tier on (the write publishes an invalidation) against off, in this process, while A and B
 * stay subscribed.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KvsCache, KvsCacheModule } from '../lib/cache/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import type { BusCommand } from './cache.local.bus-node.bench.js';
import { product } from './cache.hit.bench.js';
import {
  concurrentLoopFor,
  interleave,
  markdownTable,
  sequentialLoop,
  type Contender,
} from './lib/measure.js';
import type { RedisServer } from './lib/redis-server.js';
import type { BenchContext } from './lib/section.js';

const NODE = fileURLToPath(new URL('./cache.local.bus-node.bench.js', import.meta.url));
const TTL = 10 * 60 * 1000;
const KEYS = 10_000;
const CONCURRENCY = 64;
const WRITES = ['set', 'delete'] as const;
const ON = 'set, local on (publishes an invalidation)';
const OFF = 'set, local off (no bus)';

type Reply = Record<string, unknown>;

/** A child app, answering each command in order (see the child's file comment). */
class BusNode {
  readonly #child: ChildProcess;
  readonly #waiting: ((reply: Reply) => void)[] = [];
  readonly #early: Reply[] = [];
  readonly exited: Promise<void>;

  constructor(url: string) {
    this.#child = fork(NODE, [url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (m: Reply) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(m);
      else this.#early.push(m);
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  /** The next message from the child. */
  next(): Promise<Reply> {
    const early = this.#early.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      this.#waiting.push(resolve);
      void this.exited.then(() => reject(new Error('a bus node exited')));
    });
  }

  ask(command: BusCommand): Promise<Reply> {
    this.#child.send(command);
    return this.next();
  }

  async stop(): Promise<void> {
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Checks that `node` reads the parent's clock: its reading lies between two of ours. */
async function checkClock(node: BusNode): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const before = process.hrtime.bigint();
    const { t } = await node.ask({ do: 'clock' });
    const after = process.hrtime.bigint();
    const theirs = BigInt(t as string);
    if (theirs < before || theirs > after) {
      throw new Error('the bus nodes do not share this process clock: delays would be wrong');
    }
  }
}

/** The p-th percentile (nearest rank) of ascending `sorted`; undefined when it is empty. */
function percentile(sorted: readonly number[], p: number): number | undefined {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (ns: number | undefined): string => (ns === undefined ? '—' : (ns / 1e6).toFixed(2));

/** Invalidation delays (ns) of `samples` writes of kind `write` on A, as seen by B. */
async function delays(
  a: BusNode,
  b: BusNode,
  write: (typeof WRITES)[number],
  samples: number,
): Promise<{ delay: number[]; writeTime: number[]; lost: number }> {
  const delay: number[] = [];
  const writeTime: number[] = [];
  let lost = 0;
  for (let i = 0; i < samples; i++) {
    const key = `invalidate:${write}:${i}`;
    const filled = await b.ask({ do: 'fill', key });
    if (filled.local !== true) throw new Error(`B did not serve ${key} from L1 after a read`);
    await b.ask({ do: 'watch', key });
    const seen = b.next();
    const written = await a.ask({ do: write, key });
    const { t, dropped } = await seen;
    if (t === null) {
      lost++;
      continue;
    }
    if (dropped !== true) throw new Error(`B still served ${key} from L1 after the invalidation`);
    const t0 = Number(BigInt(written.t0 as string));
    delay.push(Number(BigInt(t as string)) - t0);
    writeTime.push(Number(BigInt(written.t1 as string)) - t0);
  }
  return { delay: delay.sort((x, y) => x - y), writeTime: writeTime.sort((x, y) => x - y), lost };
}

async function writeApp(url: string, local: boolean): Promise<INestApplicationContext> {
  const cache = { ttl: TTL };
  @Module({
    imports: [
      KvsModule.forRoot({ type: 'redis', url, keyPrefix: 'bench-bus:' }),
      KvsCacheModule.forRoot({ ...cache, local }),
    ],
  })
  class WriteCostModule {}
  return NestFactory.createApplicationContext(WriteCostModule, { logger: ['error'] });
}

/** Runs the bus part against `server`. */
export async function localBusPart(
  context: BenchContext,
  server: RedisServer,
): Promise<{ markdown: string; checks: [] }> {
  const samples = context.quick ? 20 : 200;
  const a = new BusNode(server.url);
  const b = new BusNode(server.url);
  const apps: INestApplicationContext[] = [];
  try {
    await Promise.all([a.next(), b.next()]);
    await checkClock(a);
    await checkClock(b);
    const rows: string[] = [];
    for (const write of WRITES) {
      const { delay, writeTime, lost } = await delays(a, b, write, samples);
      context.log(
        `  local bus ${write}: p50 ${ms(percentile(delay, 50))} ms, p99 ${ms(percentile(delay, 99))} ms, ${lost} lost`,
      );
      rows.push(
        `| \`cache.${write}(key)\` on A | ${delay.length} | ${ms(percentile(delay, 50))} | ${ms(percentile(delay, 99))} | ${ms(delay.at(-1))} | ${ms(percentile(writeTime, 50))} | ${lost} |`,
      );
    }

    apps.push(await writeApp(server.url, true), await writeApp(server.url, false));
    const [on, off] = apps.map((app) => app.get(KvsCache)) as [KvsCache, KvsCache];
    const runMs = context.quick ? 60 : 250;
    const value = product('write');
    const set = (cache: KvsCache) => (i: number) => cache.set(`write:${i % KEYS}`, value);
    const ops = ['one caller', `${CONCURRENCY} callers`] as const;
    const contenders: Contender[] = (
      [
        [ON, on],
        [OFF, off],
      ] as const
    ).map(([name, cache]) => ({
      name,
      runners: {
        [ops[0]]: () => sequentialLoop(set(cache), runMs),
        [ops[1]]: () => concurrentLoopFor(set(cache), runMs, CONCURRENCY),
      },
    }));
    const writes = await interleave(contenders, ops, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  local write ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s`,
        ),
    });

    const markdown = [
      `### Invalidation delay across two processes`,
      '',
      `Two child processes, A and B, each a Nest app with \`local: true\` on the same redis-server. For each sample B reads a fresh key until a read is a local hit, ` +
        `then watches its \`stats().invalidationsReceived\` on every turn of its event loop; A writes the key. The delay runs from just before A's call to the moment B's counter moved ` +
        `(after which B's next read of the key is checked to go to the store). A and B read one clock, \`process.hrtime.bigint()\` (CLOCK_MONOTONIC on Linux, checked at the start to agree with this process), so the delay is one subtraction, not half a round trip. ` +
        `${samples} samples per write kind, one after the other; "lost" counts invalidations that did not arrive within 2 s.`,
      '',
      '| Write on A | samples | p50 delay (ms) | p99 delay (ms) | max (ms) | p50 of the write call itself (ms) | lost |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `### Cost of a write, bus on vs off`,
      '',
      `\`cache.set(key, value)\` of the ~500-byte product over ${KEYS.toLocaleString('en-US')} keys from this process, with \`local: true\` (each write also publishes an invalidation, heard by A and B, still subscribed) and without the local tier. ${runMs} ms per run, ${context.rounds} rounds interleaved, median of the rounds.`,
      '',
      ...ops.flatMap((op) => [`#### ${op}`, '', markdownTable(writes, op, contenders, [OFF]), '']),
    ].join('\n');
    return { markdown, checks: [] };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    for (const app of apps) await app.close();
  }
}
