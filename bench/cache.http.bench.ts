/**
 * The cache bench's HTTP part: requests/s of a cached `GET /products/:id` in a Nest (express)
 * app, @Cacheable against @nestjs/cache-manager's CacheInterceptor on a Keyv Redis store, on the
 * same redis-server in the same run, with the uncached route as a reference. Target: ahead.
 */
import type { HttpContender } from './cache.http-server.bench.js';
import {
  hammer,
  startHttpServer,
  warm,
  type HttpRun,
  type HttpServer,
} from './cache.http-load.bench.js';
import {
  checkTargets,
  interleave,
  markdownTable,
  median,
  type Check,
  type Contender,
  type Target,
} from './lib/measure.js';
import type { BenchContext } from './lib/section.js';

const HTTP_OP = 'GET /products/:id';
const HTTP_IDS = 1000;
const CONNECTIONS = 50;
const HTTP_NAMES: Record<HttpContender, string> = {
  kvs: 'nestjs-kvs @Cacheable',
  'cache-manager': '@nestjs/cache-manager CacheInterceptor',
  none: 'no cache (reference)',
};
const TARGETS: Target[] = [
  { op: HTTP_OP, contender: HTTP_NAMES.kvs, peer: HTTP_NAMES['cache-manager'], min: 1.0 },
];

/** Whether the peer's Redis store is installed (it is not a dependency of the library). */
export async function hasKeyvRedis(): Promise<boolean> {
  const specifier = '@keyv/redis';
  return import(specifier).then(
    () => true,
    () => false,
  );
}

/** Runs the HTTP part against the redis-server at `redisUrl`. */
export async function httpPart(
  context: BenchContext,
  redisUrl: string,
): Promise<{ markdown: string; checks: Check[] }> {
  const kinds: HttpContender[] = ['kvs', 'cache-manager', 'none'];
  const seconds = context.quick ? 1 : 3;
  const rounds = context.quick ? 1 : context.rounds;
  const servers = new Map<HttpContender, HttpServer>();
  const runs = new Map<string, HttpRun[]>();
  try {
    for (const kind of kinds) {
      const server = await startHttpServer(kind, redisUrl);
      servers.set(kind, server);
      await warm(server, HTTP_IDS);
      runs.set(HTTP_NAMES[kind], []);
    }
    const contenders: Contender[] = kinds.map((kind) => ({
      name: HTTP_NAMES[kind],
      runners: {
        [HTTP_OP]: async () => {
          const run = await hammer(servers.get(kind)!, HTTP_IDS, seconds, CONNECTIONS);
          runs.get(HTTP_NAMES[kind])!.push(run);
          return run;
        },
      },
    }));
    const samples = await interleave(contenders, [HTTP_OP], {
      rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  cache http round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} req/s`,
        ),
    });
    for (const kind of ['kvs', 'cache-manager'] as const) {
      const { handled } = await servers.get(kind)!.probe();
      if (handled !== HTTP_IDS)
        throw new Error(
          `${kind}: the handler ran ${handled} times, expected ${HTTP_IDS} (cache misses)`,
        );
    }
    const cpu = (name: string) =>
      median(
        runs
          .get(name)!
          .slice(1)
          .map((r) => r.serverCpuMicros),
      );
    const peerCpu = cpu(HTTP_NAMES['cache-manager']);
    const latency = [
      '| Contender | p50 latency (ms) | p99 latency (ms) | server CPU µs/request | vs @nestjs/cache-manager CacheInterceptor |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...contenders.map((c) => {
        const rs = runs.get(c.name)!.slice(1);
        const m = (pick: (r: HttpRun) => number) => median(rs.map(pick));
        const ratio =
          c.name === HTTP_NAMES['cache-manager'] ? '—' : `${(peerCpu / cpu(c.name)).toFixed(2)}x`;
        return `| ${c.name} | ${m((r) => r.p50)} | ${m((r) => r.p99)} | ${cpu(c.name).toFixed(1)} | ${ratio} |`;
      }),
    ].join('\n');
    const markdown = [
      `Each app runs in its own child process (\`NestFactory.create\`, express) and answers \`GET /products/:id\` with a ~800-byte JSON product; ` +
        `autocannon (programmatic, in the bench process) drives ${CONNECTIONS} connections for ${seconds} s per run over ${HTTP_IDS} ids, all cached before the first run ` +
        `(every measured request is a hit; checked: each cached handler ran exactly ${HTTP_IDS} times). Both caches use the same redis-server. ${rounds} rounds interleaved, median of the rounds. ` +
        '"CPU µs/op" in the first table is the load generator\'s; the second table has the server process\'s CPU time per request (steadier than requests/s when other work shares the machine; its ratio is requests per server CPU-second).',
      '',
      `### HTTP, cached GET route`,
      '',
      markdownTable(samples, HTTP_OP, contenders, [HTTP_NAMES['cache-manager']]),
      '',
      latency,
      '',
      'Contenders:',
      '',
      `- **${HTTP_NAMES.kvs}**: \`@Cacheable({ key: (id) => \`product:\${id}\` })\` on the route handler, KvsModule Redis store (defaults), KvsCacheModule defaults.`,
      `- **${HTTP_NAMES['cache-manager']}**: \`@UseInterceptors(CacheInterceptor)\` on the controller, \`CacheModule.register({ stores: [new KeyvRedis(url)] })\` (cache-manager 7, Keyv, @keyv/redis); key = the URL.`,
      `- **${HTTP_NAMES.none}**: the same handler without a cache: the ceiling of the route itself.`,
    ].join('\n');
    return { markdown, checks: checkTargets('cache', samples, TARGETS) };
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}
