/**
 * The local section's hit part: a hit served by the local tier (process memory in front of the
 * Redis store) against a hit on the memory store, against the two peers that keep an in-process
 * layer in front of Redis (cacheable: CacheableMemory + Keyv/@keyv/redis; bentocache: memory L1 +
 * Redis L2 + its Redis bus), and, with the shared-value option, against a hit on the Redis store.
 * Also counts the Redis commands each contender sends per hit (INFO commandstats).
 */
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';
import { Cacheable, CacheableMemory, Keyv } from 'cacheable';
import { isDeepStrictEqual } from 'node:util';
import { KvsCache, KvsCacheModule, type KvsLocalTierOptions } from '../lib/cache/index.js';
import type { KvsModuleOptions } from '../lib/module/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import { product, type Product } from './cache.hit.bench.js';
import { checkTargets, concurrentLoop, concurrentLoopFor, interleave } from './lib/measure.js';
import { markdownTable, sequentialLoop, type Check, type Contender } from './lib/measure.js';
import type { Target } from './lib/measure.js';
import { commandCounter } from './lib/redis-commands.js';
import type { RedisServer } from './lib/redis-server.js';
import type { BenchContext } from './lib/section.js';

const KEYS = 10_000;
const TTL = 10 * 60 * 1000;
const CONCURRENCY = 64;
const ONE = 'hit, one caller';
const MANY = `hit, ${CONCURRENCY} callers`;
const OPS = [ONE, MANY] as const;

const L1 = 'local tier (L1 hit, fresh decode)';
const SHARED = 'local tier, shared: true (L1 hit)';
const MEMORY = 'memory store (KvsCache.wrap)';
const STORE = 'Redis store (local: false)';
const CACHEABLE = 'cacheable L1 + L2 (L1 hit)';
const BENTO = 'bentocache tiered (L1 hit)';
const NAMES = [L1, SHARED, MEMORY, STORE, CACHEABLE, BENTO] as const;
type Name = (typeof NAMES)[number];

const TARGETS: Target[] = [
  { op: ONE, contender: L1, peer: MEMORY, min: 0.9 },
  { op: ONE, contender: L1, peer: CACHEABLE, min: 2 },
  { op: ONE, contender: L1, peer: BENTO, min: 2.5 },
  { op: MANY, contender: SHARED, peer: STORE, min: 10 },
];

async function kvsApp(store: KvsModuleOptions, local: boolean | KvsLocalTierOptions) {
  @Module({
    imports: [KvsModule.forRoot(store), KvsCacheModule.forRoot({ ttl: TTL, local })],
  })
  class LocalHitModule {}
  return NestFactory.createApplicationContext(LocalHitModule, { logger: ['error'] });
}

/** What each contender is, as shown under the tables. */
const NOTES: Record<Name, string> = {
  [L1]: '`KvsCacheModule.forRoot({ ttl, local: true })` on the Redis store (defaults: 10,000 entries, 64 MiB, a fresh decode per hit); `cache.wrap(key, fn)`.',
  [SHARED]:
    '`local: { shared: true }`: the decoded value is kept and the same object returned to every hit (callers must not mutate it).',
  [MEMORY]:
    '`cache.wrap(key, fn)` on the memory store (`KvsModule.forRoot({ type: "memory" })`), no local tier: the bound the issue sets for a fresh-decode L1 hit.',
  [STORE]:
    'The app of the first row, `cache.wrap(key, fn, { local: false })`: every hit is a Redis GET and a decode.',
  [CACHEABLE]:
    'cacheable 2: `new Cacheable({ primary: new Keyv({ store: new CacheableMemory({ lruSize: 10000 }) }), secondary: new KeyvRedis(url), ttl })`, `getOrSet(key, fn)`; CacheableMemory clones the value on every get (structuredClone). Without CacheableSync (it needs a Qified message provider for Redis, which the package does not bring).',
  [BENTO]:
    "bentocache 1: `bentostore().useL1Layer(memoryDriver({ maxItems: 10000, maxSize: '64mb' })).useL2Layer(redisDriver(...)).useBus(redisBusDriver(...))`, `getOrSet({ key, factory, ttl })`; its L1 keeps the serialised entry and parses it on every hit (default `serialize: true`).",
};

/** Runs the hit part against `server`. */
export async function localHitPart(
  context: BenchContext,
  server: RedisServer,
): Promise<{ markdown: string; checks: Check[] }> {
  const redis = (keyPrefix: string): KvsModuleOptions => ({
    type: 'redis',
    url: server.url,
    keyPrefix,
  });
  const apps: INestApplicationContext[] = [];
  const open = async (store: KvsModuleOptions, local: boolean | KvsLocalTierOptions) => {
    const app = await kvsApp(store, local);
    apps.push(app);
    return app.get(KvsCache);
  };
  const localCache = await open(redis('bench-local:'), true);
  const sharedCache = await open(redis('bench-shared:'), { shared: true });
  const memoryCache = await open({ type: 'memory' }, false);
  const cacheable = new Cacheable({
    primary: new Keyv({ store: new CacheableMemory({ lruSize: KEYS }) }),
    secondary: new KeyvRedis(server.url),
    ttl: TTL,
  });
  const connection = { host: server.host, port: server.port };
  const bento = new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: KEYS, maxSize: '64mb' }))
        .useL2Layer(redisDriver({ connection }))
        .useBus(redisBusDriver({ connection })),
    },
  });
  const counter = commandCounter(server.url);

  let loads = 0;
  const load = (id: string): Product => {
    loads++;
    return product(id);
  };
  const ids = Array.from({ length: KEYS }, (_, i) => String(i));
  const calls: Record<Name, (id: string) => Promise<unknown>> = {
    [L1]: (id) => localCache.wrap(`l1:${id}`, () => load(id)),
    [SHARED]: (id) => sharedCache.wrap(`shared:${id}`, () => load(id)),
    [MEMORY]: (id) => memoryCache.wrap(`memory:${id}`, () => load(id)),
    [STORE]: (id) => localCache.wrap(`l2:${id}`, () => load(id), { local: false }),
    [CACHEABLE]: (id) => cacheable.getOrSet(`cacheable:${id}`, async () => load(id)),
    [BENTO]: (id) => bento.getOrSet({ key: `bento:${id}`, factory: () => load(id), ttl: TTL }),
  };

  const commandsPerHit = new Map<Name, { perHit: number; which: string }>();
  try {
    for (const name of NAMES) {
      const call = calls[name];
      const pass = () => concurrentLoop((i) => call(ids[i]!), KEYS, CONCURRENCY);
      // The first pass fills the caches. The next is counted; under load a store step can time
      // out and leave a key out, then that pass loads it and another is counted.
      await pass();
      let before = { loads, stats: localCache.stats(), shared: sharedCache.stats() };
      for (let passes = 1; passes === 1 || loads !== before.loads; passes++) {
        if (passes === 5) throw new Error(`${name}: still loading after ${passes} passes`);
        await counter.settle();
        before = { loads, stats: localCache.stats(), shared: sharedCache.stats() };
        const was = await counter.byCommand();
        await pass();
        const sent = [...(await counter.byCommand())]
          .map(([command, n]) => [command, n - (was.get(command) ?? 0)] as const)
          .filter(([, n]) => n > 0);
        commandsPerHit.set(name, {
          perHit: sent.reduce((sum, [, n]) => sum + n, 0) / KEYS,
          which: sent.map(([command, n]) => `${n} ${command.toUpperCase()}`).join(', '),
        });
      }
      const got = await call(ids[KEYS - 1]!);
      const expected = product(ids[KEYS - 1]!);
      // The peers may hand back the Date as its JSON string.
      const same =
        isDeepStrictEqual(got, expected) ||
        ((name === CACHEABLE || name === BENTO) &&
          isDeepStrictEqual(got, JSON.parse(JSON.stringify(expected))));
      if (!same) throw new Error(`${name}: does not return the cached value`);
      if (name === L1 || name === SHARED) {
        const now = (name === SHARED ? sharedCache : localCache).stats();
        const was = name === SHARED ? before.shared : before.stats;
        if (now.localHits - was.localHits < KEYS) {
          throw new Error(`${name}: ${now.localHits - was.localHits} local hits for ${KEYS} calls`);
        }
      }
    }
    const filled = loads;

    const runMs = context.quick ? 60 : 250;
    const contenders: Contender[] = NAMES.map((name) => ({
      name,
      note: NOTES[name],
      runners: {
        [ONE]: () => sequentialLoop((i) => calls[name](ids[i % KEYS]!), runMs),
        [MANY]: () => concurrentLoopFor((i) => calls[name](ids[i % KEYS]!), runMs, CONCURRENCY),
      },
    }));
    const samples = await interleave(contenders, OPS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  local ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s`,
        ),
    });
    const missed = loads - filled;
    if (missed > KEYS / 10) throw new Error(`${missed} misses in the timed runs: not a hit bench`);
    const commandRows = NAMES.map((name) => {
      const { perHit, which } = commandsPerHit.get(name)!;
      if (name === MEMORY) return `| ${name} | — (no Redis) | |`;
      return `| ${name} | ${perHit === 0 ? '0' : perHit.toPrecision(2)} | ${which || 'none'} |`;
    });
    const markdown = [
      `Every call is a hit on one of ${KEYS.toLocaleString('en-US')} warm keys (the ~500-byte product of the cache section). ` +
        `"${ONE}": each call awaited before the next; "${MANY}": ${CONCURRENCY} concurrent callers. ${runMs} ms per run, ${context.rounds} rounds interleaved, median of the rounds. ` +
        'Before timing, every contender was checked to return the cached value without calling its function, and the local tier to count each call as a local hit (`stats().localHits`). ' +
        `Misses in the timed runs (a store step that timed out on the loaded machine, then a load): ${missed}.`,
      '',
      ...OPS.flatMap((op) => [
        `### ${op}`,
        '',
        markdownTable(samples, op, contenders, op === ONE ? [MEMORY, CACHEABLE, BENTO] : [STORE]),
        '',
      ]),
      `### Redis commands per hit`,
      '',
      `Commands redis-server executed (INFO commandstats, less INFO and the subscribers' heartbeat PINGs) during one more pass over the ${KEYS.toLocaleString('en-US')} warm keys (${CONCURRENCY} callers; after the first pass, which filled the caches, the command count was left to settle), divided by the hits. The commands come from any client of the server, not only from the contender.`,
      '',
      `| Contender | Redis commands per hit | commands in the ${KEYS.toLocaleString('en-US')} hits |`,
      '| --- | ---: | --- |',
      ...commandRows,
      '',
      'Contenders:',
      '',
      ...contenders.map((c) => `- **${c.name}**: ${c.note}`),
    ].join('\n');
    const l1Commands = commandsPerHit.get(L1)!.perHit + commandsPerHit.get(SHARED)!.perHit;
    const zero: Check = {
      section: 'local',
      op: 'Redis commands per L1 hit',
      contender: L1,
      peer: '0 commands',
      min: 1,
      ratio: l1Commands === 0 ? 1 : 0,
      pairedRatio: l1Commands === 0 ? 1 : 0,
      ok: l1Commands === 0,
    };
    return { markdown, checks: [...checkTargets('local', samples, TARGETS), zero] };
  } finally {
    await counter.close();
    await bento.disconnectAll();
    await cacheable.disconnect();
    for (const app of apps) await app.close();
  }
}
