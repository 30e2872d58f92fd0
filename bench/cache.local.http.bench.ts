/**
 * The local section's HTTP part: a cached `GET /products/:id` on Express and on Fastify, with the
 * local tier against @nestjs/cache-manager with a memory + Redis two-store setup (the cache
 * section has both on Redis alone). Each app runs in its own child process
 * (bench/cache.local.http-server.bench.ts), driven by autocannon from this process
 * (bench/cache.http-load.bench.ts); requests/s, server CPU per request, Redis commands per request.
 */
import { fileURLToPath } from 'node:url';
import { hammer, startHttpServer, warm, type HttpServer } from './cache.http-load.bench.js';
import type { LocalHttpAdapter, LocalHttpCache } from './cache.local.http-server.bench.js';
import { interleave, markdownTable, median, type Contender } from './lib/measure.js';
import { commandCounter } from './lib/redis-commands.js';
import type { RedisServer } from './lib/redis-server.js';
import type { BenchContext } from './lib/section.js';

const SERVER = fileURLToPath(new URL('./cache.local.http-server.bench.js', import.meta.url));
const IDS = 1000;
const CONNECTIONS = 50;
const ADAPTERS: readonly LocalHttpAdapter[] = ['express', 'fastify'];
const NAMES: Record<LocalHttpCache, string> = {
  'kvs-local': 'nestjs-kvs @Cacheable, local: true',
  'cache-manager': '@nestjs/cache-manager, memory + Redis stores',
};
const CACHES = Object.keys(NAMES) as LocalHttpCache[];
const PEER = NAMES['cache-manager'];

/** Per contender and adapter: server CPU µs and Redis commands per request, one entry per run. */
interface Costs {
  cpu: number[];
  commands: number[];
}

/** Runs the HTTP part against `server`. */
export async function localHttpPart(
  context: BenchContext,
  redis: RedisServer,
): Promise<{ markdown: string; checks: [] }> {
  const seconds = context.quick ? 1 : 2;
  const rounds = context.quick ? 1 : context.rounds;
  const servers = new Map<string, HttpServer>();
  const costs = new Map<string, Costs>();
  const counter = commandCounter(redis.url);
  const id = (cache: LocalHttpCache, adapter: LocalHttpAdapter) => `${cache}:${adapter}`;
  try {
    for (const cache of CACHES) {
      for (const adapter of ADAPTERS) {
        const server = await startHttpServer(`local:${id(cache, adapter)}`, redis.url, SERVER);
        servers.set(id(cache, adapter), server);
        await warm(server, IDS);
        costs.set(id(cache, adapter), { cpu: [], commands: [] });
      }
    }
    const contenders: Contender[] = CACHES.map((cache) => ({
      name: NAMES[cache],
      runners: Object.fromEntries(
        ADAPTERS.map((adapter) => [
          adapter,
          async () => {
            const before = await counter.total();
            const run = await hammer(servers.get(id(cache, adapter))!, IDS, seconds, CONNECTIONS);
            const commands = (await counter.total()) - before;
            const cost = costs.get(id(cache, adapter))!;
            cost.cpu.push(run.serverCpuMicros);
            cost.commands.push(commands / run.ops);
            return run;
          },
        ]),
      ),
    }));
    const samples = await interleave(contenders, ADAPTERS, {
      rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  local http ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} req/s`,
        ),
    });
    for (const [key, server] of servers) {
      const probe = (await server.probe()) as { handled: number; localHits?: number };
      if (probe.handled !== IDS) {
        throw new Error(`${key}: the handler ran ${probe.handled} times, expected ${IDS}`);
      }
      if (key.startsWith('kvs-local') && probe.localHits === 0) {
        throw new Error(`${key}: no local hits`);
      }
    }
    const costTable = (adapter: LocalHttpAdapter) => {
      // The warm-up run is left out, as in the cache section's HTTP part.
      const m = (cache: LocalHttpCache, pick: keyof Costs) =>
        median(costs.get(id(cache, adapter))![pick].slice(1));
      const peer = m('cache-manager', 'cpu');
      return [
        `| Contender | server CPU µs/request | vs ${PEER} | Redis commands per request |`,
        '| --- | ---: | ---: | ---: |',
        ...CACHES.map((cache) => {
          const ratio = cache === 'cache-manager' ? '—' : `${(peer / m(cache, 'cpu')).toFixed(2)}x`;
          return `| ${NAMES[cache]} | ${m(cache, 'cpu').toFixed(1)} | ${ratio} | ${m(cache, 'commands').toFixed(2)} |`;
        }),
      ].join('\n');
    };
    const markdown = [
      `### Cached HTTP route, Express and Fastify`,
      '',
      `Each app runs in its own child process (\`NestFactory.create\`, Express or \`FastifyAdapter\`) and answers \`GET /products/:id\` with the ~500-byte product as JSON; ` +
        `autocannon (in the bench process) drives ${CONNECTIONS} connections for ${seconds} s per run over ${IDS} ids, all cached before the first run ` +
        `(checked: each handler ran exactly ${IDS} times, and the local tier counted local hits). All use the same redis-server. ${rounds} rounds interleaved, median of the rounds. ` +
        '"CPU µs/op" in the requests/s tables is the load generator\'s; the second table of each adapter has the server process\'s CPU per request (its ratio is requests per server CPU-second) and the Redis commands per request (INFO commandstats over the run, less INFO and heartbeat PINGs).',
      '',
      ...ADAPTERS.flatMap((adapter) => [
        `#### ${adapter}`,
        '',
        markdownTable(samples, adapter, contenders, [PEER]),
        '',
        costTable(adapter),
        '',
      ]),
      'Contenders:',
      '',
      `- **${NAMES['kvs-local']}**: \`@Cacheable({ key: (id) => \`product:\${id}\` })\` on the route handler, \`KvsCacheModule.forRoot({ ttl, local: true })\` on the KvsModule Redis store; L1 kept coherent across instances by the bus.`,
      `- **${PEER}**: \`@UseInterceptors(CacheInterceptor)\`, \`CacheModule.register({ stores: [new Keyv({ store: new CacheableMemory({ ttl, lruSize: 10000 }) }), new Keyv({ store: new KeyvRedis(url), namespace })] })\` (cache-manager 7, the two-store setup of the NestJS docs); key = the URL. Its memory store is not invalidated when another instance writes.`,
    ].join('\n');
    return { markdown, checks: [] };
  } finally {
    await counter.close();
    for (const server of servers.values()) await server.stop();
  }
}
