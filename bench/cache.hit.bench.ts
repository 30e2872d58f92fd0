/**
 * The cache bench's hit-path part: a call of a method cached with @Cacheable against the
 * hand-written equivalent (`store.tryGet` + decode of the same value with the same codec), on the
 * memory store and on Redis. Target: the decorator adds at most 15%.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isDeepStrictEqual } from 'node:util';
import { Cacheable, KvsCache, KvsCacheModule, taggedJsonCodec } from '../lib/cache/index.js';
import { InjectKvs, type KvsModuleOptions } from '../lib/module/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import type { KvsStore } from '../lib/store/index.js';
import {
  checkTargets,
  concurrentLoop,
  interleave,
  markdownTable,
  sequentialLoop,
  type Check,
  type Contender,
  type Target,
} from './lib/measure.js';
import type { BenchContext } from './lib/section.js';

const KEYS = 10_000;
const TTL = 10 * 60 * 1000;
const CONCURRENCY = 64;
const HIT_OPS = ['memory', 'redis'] as const;
const HAND = 'hand-written tryGet + decode';
const BY_KEY = '@Cacheable (key function)';
const BY_ARGS = '@Cacheable (default key)';
const WRAP = 'KvsCache.wrap';

const TARGETS: Target[] = HIT_OPS.flatMap((op) => [
  { op, contender: BY_KEY, peer: HAND, min: 1 / 1.15 },
  { op, contender: BY_ARGS, peer: HAND, min: 1 / 1.15 },
]);

/** A ~500-byte product with a Date, as a service would return it. */
export function product(id: string) {
  return {
    id,
    name: `Product ${id}`,
    description: 'A sturdy, well-made thing. '.repeat(8),
    price: { amount: 1999, currency: 'EUR' },
    tags: ['home', 'garden', 'tools'],
    updatedAt: new Date(1_764_000_000_000),
  };
}
export type Product = ReturnType<typeof product>;

@Injectable()
export class Catalog {
  loads = 0;
  constructor(@InjectKvs() private readonly store: KvsStore) {}

  /** What an app writes by hand: read and decode, or load and store. */
  async handWritten(id: string): Promise<Product> {
    const key = `raw:product:${id}`;
    const bytes = await this.store.tryGet(key);
    if (bytes !== undefined) return taggedJsonCodec.decode(bytes) as Product;
    const value = this.load(id);
    await this.store.set(key, taggedJsonCodec.encode(value), TTL);
    return value;
  }

  @Cacheable({ key: (id: string) => `product:${id}` })
  async byKey(id: string): Promise<Product> {
    return this.load(id);
  }

  @Cacheable()
  async byArguments(id: string): Promise<Product> {
    return this.load(id);
  }

  load(id: string): Product {
    this.loads++;
    return product(id);
  }
}

export async function hitPathApp(store: KvsModuleOptions): Promise<INestApplicationContext> {
  @Module({
    imports: [KvsModule.forRoot(store), KvsCacheModule.forRoot({ ttl: TTL })],
    providers: [Catalog],
  })
  class HitPathModule {}
  return NestFactory.createApplicationContext(HitPathModule, { logger: ['error'] });
}

/** Runs the hit-path part against the redis-server at `redisUrl`. */
export async function hitPathPart(
  context: BenchContext,
  redisUrl: string,
): Promise<{ markdown: string; checks: Check[] }> {
  const apps = {
    memory: await hitPathApp({ type: 'memory' }),
    redis: await hitPathApp({ type: 'redis', url: redisUrl, keyPrefix: 'bench-hit:' }),
  };
  const ids = Array.from({ length: KEYS }, (_, i) => String(i));
  const calls = (op: keyof typeof apps) => {
    const catalog = apps[op].get(Catalog);
    const cache = apps[op].get(KvsCache);
    return {
      [HAND]: (id: string) => catalog.handWritten(id),
      [BY_KEY]: (id: string) => catalog.byKey(id),
      [BY_ARGS]: (id: string) => catalog.byArguments(id),
      [WRAP]: (id: string) => cache.wrap(`wrap:${id}`, async () => catalog.load(id)),
    };
  };
  for (const op of HIT_OPS) {
    const catalog = apps[op].get(Catalog);
    for (const [name, call] of Object.entries(calls(op))) {
      await concurrentLoop((i) => call(ids[i]!), KEYS, CONCURRENCY);
      const loads = catalog.loads;
      const got = await call(ids[KEYS - 1]!);
      if (!isDeepStrictEqual(got, product(ids[KEYS - 1]!)) || catalog.loads !== loads) {
        throw new Error(`${op} ${name}: does not return the cached value`);
      }
    }
  }
  const runMs = context.quick ? 60 : 250;
  const opsPerRun = context.quick ? 5_000 : 30_000;
  const names = [HAND, BY_KEY, BY_ARGS, WRAP] as const;
  const contenders: Contender[] = names.map((name) => ({
    name,
    runners: {
      memory: () => sequentialLoop((i) => calls('memory')[name](ids[i % KEYS]!), runMs),
      redis: () =>
        concurrentLoop((i) => calls('redis')[name](ids[i % KEYS]!), opsPerRun, CONCURRENCY),
    },
  }));
  const samples = await interleave(contenders, HIT_OPS, {
    rounds: context.rounds,
    warmupRuns: 1,
    onRun: (op, name, round, rate) =>
      context.log(
        `  cache hit ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s`,
      ),
  });
  for (const app of Object.values(apps)) await app.close();
  const markdown = [
    `Every call is a hit on one of ${KEYS.toLocaleString('en-US')} warm keys (a ~500-byte product with a Date), decoded with the default codec (taggedJsonCodec) by every contender. ` +
      `memory: one caller, each call awaited, ${runMs} ms per run. redis: ${CONCURRENCY} concurrent callers on distinct keys (so single-flight never merges calls), ` +
      `${opsPerRun.toLocaleString('en-US')} calls per run. ${context.rounds} rounds interleaved, median of the rounds.`,
    '',
    ...HIT_OPS.flatMap((op) => [
      `### hit path, ${op} store`,
      '',
      markdownTable(samples, op, contenders, [HAND]),
      '',
    ]),
    'Contenders:',
    '',
    `- **${HAND}**: \`codec.decode(await store.tryGet(\`raw:product:\${id}\`))\` in a service method (with load + set on a miss).`,
    `- **${BY_KEY}**: \`@Cacheable({ key: (id) => \`product:\${id}\` })\` on the same service; the call goes through the forwarding function, single-flight bookkeeping, a bounded store step (timeout 150 ms), the entry header and a fresh decode.`,
    `- **${BY_ARGS}**: \`@Cacheable()\`: the same, with the key \`Catalog.byArguments:<SHA-1 of the arguments>\`.`,
    `- **${WRAP}**: \`cache.wrap(\`wrap:\${id}\`, fn)\`.`,
  ].join('\n');
  return { markdown, checks: checkTargets('cache', samples, TARGETS) };
}
