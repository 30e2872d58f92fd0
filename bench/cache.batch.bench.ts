/**
 * Batches: `KvsCache.wrapMany` of 1,000 keys against 1,000 `KvsCache.wrap` calls at once
 * (`Promise.all`), on the memory store and on Redis, with every key a hit and with 10% misses
 * (100 keys never seen before per batch, loaded and stored). One operation = one batch of 1,000.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isDeepStrictEqual } from 'node:util';
import { KvsCache, KvsCacheModule } from '../lib/cache/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import type { KvsModuleOptions } from '../lib/module/index.js';
import { product, type Product } from './cache.hit.bench.js';
import {
  checkTargets,
  formatChecks,
  interleave,
  markdownTable,
  sequentialLoop,
  type Contender,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

const BATCH = 1000;
const TTL = 10 * 60 * 1000;
const MANY = 'wrapMany (1 call)';
const SINGLES = `${BATCH.toLocaleString('en-US')} x wrap (Promise.all)`;
const BACKENDS = ['memory', 'redis'] as const;
const CASES = ['all hits', '10% misses'] as const;
const OPS = BACKENDS.flatMap((backend) => CASES.map((c) => `${backend}, ${c}`));
// On Redis a batch saves round trips and commands: it must be well ahead. On memory there is no
// round trip to save; its ratios are reported, not targeted.
const TARGETS: Target[] = CASES.map((c) => ({
  op: `redis, ${c}`,
  contender: MANY,
  peer: SINGLES,
  min: 1.5,
}));

async function app(store: KvsModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [KvsModule.forRoot(store), KvsCacheModule.forRoot({ ttl: TTL })] })
  class BatchModule {}
  return NestFactory.createApplicationContext(BatchModule, { logger: ['error'] });
}

const loadAll = async (keys: string[]): Promise<Product[]> => keys.map(product);
let fresh = 0;

/** The keys of one batch: 1,000 warm keys, or every 10th replaced by a key never seen before. */
function batchKeys(warm: readonly string[], misses: boolean): string[] {
  if (!misses) return [...warm];
  const run = fresh++;
  return warm.map((key, i) => (i % 10 === 0 ? `new:${run}:${i}` : key));
}

/** The two ways to read one batch through `cache`, by contender name. */
function readers(cache: KvsCache): Map<string, (keys: string[]) => Promise<unknown>> {
  return new Map<string, (keys: string[]) => Promise<unknown>>([
    [MANY, (keys) => cache.wrapMany(keys, loadAll)],
    [SINGLES, (keys) => Promise.all(keys.map((key) => cache.wrap(key, async () => product(key))))],
  ]);
}

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  const apps = {
    memory: await app({ type: 'memory' }),
    redis: await app({ type: 'redis', url: server.url, keyPrefix: 'bench-batch:' }),
  };
  try {
    const warm = Array.from({ length: BATCH }, (_, i) => `item:${i}`);
    const contenders: Contender[] = [MANY, SINGLES].map((name) => ({ name, runners: {} }));
    const runMs = context.quick ? 60 : 300;
    for (const backend of BACKENDS) {
      const read = readers(apps[backend].get(KvsCache));
      await read.get(MANY)!(warm);
      const got = await read.get(SINGLES)!(warm);
      if (!isDeepStrictEqual(got, warm.map(product))) throw new Error(`${backend}: wrong values`);
      for (const c of contenders) {
        for (const [i, label] of CASES.entries()) {
          const call = read.get(c.name)!;
          c.runners[`${backend}, ${label}`] = () =>
            sequentialLoop(() => call(batchKeys(warm, i === 1)), runMs, 1);
        }
      }
    }
    const samples = await interleave(contenders, OPS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  batch ${op} round ${round + 1}: ${name} ${rate.opsPerSec.toFixed(1)} batches/s`,
        ),
    });
    const checks = checkTargets('batch', samples, TARGETS);
    const markdown = [
      `One operation is one batch of ${BATCH.toLocaleString('en-US')} keys (~500-byte products with a Date, default codec), awaited one after the other, ${runMs} ms per run; ` +
        `${context.rounds} rounds interleaved, median of the rounds. "10% misses": every 10th key of each batch was never seen before, so it is loaded and stored (the other 900 are hits). ` +
        'Memory store in process; Redis on loopback (standalone), default cache options (no local tier).',
      '',
      ...OPS.flatMap((op) => [
        `### ${op}`,
        '',
        markdownTable(samples, op, contenders, [SINGLES]),
        '',
      ]),
      'Contenders:',
      '',
      `- **${MANY}**: \`cache.wrapMany(keys, loadAll)\`: one store read for the batch (one MGET on Redis), one loader call with the missing keys, one SET per missing key.`,
      `- **${SINGLES}**: \`Promise.all(keys.map((key) => cache.wrap(key, load)))\`: one GET per key (ioredis writes them out together), one load and SET per missing key.`,
      '',
      'Targets:',
      '',
      formatChecks(checks),
    ].join('\n');
    return {
      markdown,
      checks,
      environment: { Redis: `redis-server ${server.version} (loopback, started by the bench)` },
    };
  } finally {
    for (const each of Object.values(apps)) await each.close();
    await server.stop();
  }
}

/** The `batch` section of `npm run bench`. */
export const batchBench: BenchSection = {
  name: 'batch',
  title: 'Caching: batches',
  run,
};
