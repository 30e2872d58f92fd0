/**
 * Cache tags (issue 13): (1) a hit of a tagged entry against an untagged hit, on the memory store
 * and on Redis (tags known before the call: their versions ride with the GET; result tags: one
 * more MGET); (2) invalidateTags of one tag carried by 100,000 entries against deletePrefix of
 * the same entries, on Redis. One redis-server, started here.
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvsCache, KvsCacheModule } from '../lib/cache/index.js';
import type { KvsModuleOptions } from '../lib/module/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import { product } from './cache.hit.bench.js';
import {
  checkTargets,
  concurrentLoop,
  formatChecks,
  interleave,
  markdownTable,
  median,
  sequentialLoop,
  type Check,
  type Contender,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

const KEYS = 10_000;
const CONCURRENCY = 64;
const OPS = ['memory', 'redis'] as const;
const UNTAGGED = 'wrap, no tags';
const TAGGED = 'wrap, 2 tags (known)';
const RESULT = 'wrap, 1 result tag';
/**
 * A tagged hit reads its entry and the tags' versions with one getMany (one MGET on Redis), then
 * walks the entry's tag bytes: on memory the cost is mostly the store's two more lookups.
 */
const TARGETS: Target[] = [
  { op: 'memory', contender: TAGGED, peer: UNTAGGED, min: 0.7 },
  { op: 'redis', contender: TAGGED, peer: UNTAGGED, min: 0.6 },
];

async function app(store: KvsModuleOptions): Promise<INestApplicationContext> {
  @Module({
    imports: [KvsModule.forRoot(store), KvsCacheModule.forRoot({ ttl: '10m', timeout: '5s' })],
  })
  class TagsBenchModule {}
  return NestFactory.createApplicationContext(TagsBenchModule, { logger: ['error'] });
}

/** The three kinds of hit on `cache`, by contender. */
function hits(cache: KvsCache): Record<string, (id: string) => Promise<unknown>> {
  return {
    [UNTAGGED]: (id) => cache.wrap(`u:${id}`, () => product(id)),
    [TAGGED]: (id) =>
      cache.wrap(`t:${id}`, () => product(id), { tags: [`product:${id}`, 'catalog'] }),
    [RESULT]: (id) =>
      cache.wrap(`r:${id}`, () => product(id), { resultTags: (p) => [`product:${p.id}`] }),
  };
}

async function hitPart(
  context: BenchContext,
  redisUrl: string,
): Promise<{ markdown: string; checks: Check[] }> {
  const apps = {
    memory: await app({ type: 'memory' }),
    redis: await app({ type: 'redis', url: redisUrl, keyPrefix: 'bench-tags:' }),
  };
  const ids = Array.from({ length: KEYS }, (_, i) => String(i));
  for (const op of OPS) {
    const cache = apps[op].get(KvsCache);
    await cache.invalidateTags(['catalog', 'product:1']); // some tags have a version, most none
    for (const call of Object.values(hits(cache)))
      await concurrentLoop((i) => call(ids[i]!), KEYS, CONCURRENCY);
    cache.resetStats();
  }
  const runMs = context.quick ? 60 : 250;
  const opsPerRun = context.quick ? 5_000 : 30_000;
  const calls = { memory: hits(apps.memory.get(KvsCache)), redis: hits(apps.redis.get(KvsCache)) };
  const contenders: Contender[] = [UNTAGGED, TAGGED, RESULT].map((name) => {
    const memory = calls.memory[name]!;
    const redis = calls.redis[name]!;
    return {
      name,
      runners: {
        memory: () => sequentialLoop((i) => memory(ids[i % KEYS]!), runMs),
        redis: () => concurrentLoop((i) => redis(ids[i % KEYS]!), opsPerRun, CONCURRENCY),
      },
    };
  });
  const samples = await interleave(contenders, OPS, {
    rounds: context.rounds,
    warmupRuns: 1,
    onRun: (op, name, round, rate) =>
      context.log(
        `  tagged hit ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec)} ops/s`,
      ),
  });
  for (const op of OPS) {
    const { misses } = apps[op].get(KvsCache).stats();
    if (misses > 0) throw new Error(`${op}: ${misses} misses during the hit runs`);
  }
  for (const each of Object.values(apps)) await each.close();
  const markdown = [
    `Every call is a hit on one of ${KEYS.toLocaleString('en-US')} warm keys (the ~500-byte product of the Caching section). ` +
      `memory: one caller, each call awaited, ${runMs} ms per run. redis: ${CONCURRENCY} concurrent callers, ${opsPerRun.toLocaleString('en-US')} calls per run. ` +
      `${context.rounds} rounds interleaved, median of the rounds. Tags: \`product:<id>\` and \`catalog\` (invalidated once before, so it has a version); the result tag \`product:<id>\`.`,
    '',
    ...OPS.flatMap((op) => [
      `### tagged hit, ${op} store`,
      '',
      markdownTable(samples, op, contenders, [UNTAGGED]),
      '',
    ]),
  ].join('\n');
  return { markdown, checks: checkTargets('tags', samples, TARGETS) };
}

/** Fills `count` entries under `bulk:` carrying the tag `bulk` (64 concurrent writers). */
async function fill(cache: KvsCache, count: number): Promise<void> {
  await concurrentLoop((i) => cache.wrap(`bulk:${i}`, () => i, { tags: ['bulk'] }), count, 256);
}

/** One timed call, in ms. */
async function timedMs(op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
}

async function invalidationPart(context: BenchContext, redisUrl: string): Promise<string> {
  const entries = context.quick ? 10_000 : 100_000;
  const rounds = Math.min(context.rounds, 5);
  const redis = await app({ type: 'redis', url: redisUrl, keyPrefix: 'bench-tags-inv:' });
  const cache = redis.get(KvsCache);
  const times = { invalidateTags: [] as number[], deletePrefix: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    await fill(cache, entries);
    times.invalidateTags.push(await timedMs(() => cache.invalidateTags('bulk')));
    if ((await cache.get('bulk:7')) !== undefined) throw new Error('invalidateTags left an entry');
    await fill(cache, entries);
    times.deletePrefix.push(await timedMs(() => cache.deletePrefix('bulk:')));
    if ((await cache.get('bulk:7')) !== undefined) throw new Error('deletePrefix left an entry');
    context.log(
      `  invalidation round ${round + 1}: ${times.invalidateTags.at(-1)!.toFixed(2)} ms vs ${times.deletePrefix.at(-1)!.toFixed(0)} ms`,
    );
  }
  await redis.close();
  const base = median(times.deletePrefix);
  const row = (name: string, ms: number[]) =>
    `| ${name} | ${median(ms).toFixed(2)} | ${Math.min(...ms).toFixed(2)} – ${Math.max(...ms).toFixed(2)} | ${(base / median(ms)).toFixed(1)}x |`;
  return [
    `### invalidating ${entries.toLocaleString('en-US')} entries, redis store`,
    '',
    `Each round fills ${entries.toLocaleString('en-US')} entries (\`wrap\` with the tag \`bulk\`, keys \`bulk:<i>\`), then times one call; ${rounds} rounds, median.`,
    '',
    '| Call | ms (median) | min – max | speed vs deletePrefix |',
    '| --- | ---: | ---: | ---: |',
    row("invalidateTags('bulk')", times.invalidateTags),
    row("deletePrefix('bulk:')", times.deletePrefix),
    '',
    'invalidateTags sends one EVALSHA (the epoch) and one SET whatever the number of entries; the entries stay until their TTL and read as misses. deletePrefix SCANs the keyspace and DELs in batches of 500.',
  ].join('\n');
}

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  try {
    const hit = await hitPart(context, server.url);
    const invalidation = await invalidationPart(context, server.url);
    return {
      markdown: [hit.markdown, invalidation, '', 'Targets:', '', formatChecks(hit.checks)].join(
        '\n',
      ),
      checks: hit.checks,
      environment: { Redis: `redis-server ${server.version} (loopback, started by the bench)` },
    };
  } finally {
    await server.stop();
  }
}

/** The `tags` section of `npm run bench`. */
export const tagsBench: BenchSection = {
  name: 'tags',
  title: 'Cache tags',
  run,
};
