/**
 * The one-key flood: one client far over its limit keeps asking, so every request is refused.
 * nestjs-kvs against @nestjs/throttler (+ @nest-lab/throttler-storage-redis) and against
 * rate-limiter-flexible (RateLimiterRedis with its in-memory block and insurance limiter), each in
 * a Nest app of its own process (bench/rate-limit.flood-server.bench.ts), on Express and on
 * Fastify, all on one redis-server. Per run: autocannon floods `GET /flood` for a few seconds;
 * the figures are refused requests per second, the app's CPU µs per refused request, and Redis
 * commands per refused request (INFO commandstats before and after; the other apps are idle).
 */
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import {
  formatOps,
  formatRatio,
  interleave,
  median,
  medians,
  type Check,
  type Contender,
  type Samples,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';
import { FLOOD, type FloodLimiter, type FloodPlatform } from './rate-limit.flood-server.bench.js';
import { autocannon, CONNECTIONS, startChild, type Server } from './rate-limit.http.bench.js';

const SCRIPT = fileURLToPath(new URL('./rate-limit.flood-server.bench.js', import.meta.url));
const PLATFORMS: FloodPlatform[] = ['express', 'fastify'];
/** The issue's target: at most one store command per 100 refused requests. */
const MAX_COMMANDS_PER_REFUSED = 0.01;

interface Subject {
  name: string;
  limiter: FloodLimiter;
  note: string;
}
const SUBJECTS: Subject[] = [
  {
    name: 'nestjs-kvs',
    limiter: 'kvs',
    note: '`RateLimitGuard` on a `KvsModule` Redis store (defaults: sliding window), `legacy` headers.',
  },
  {
    name: 'throttler + nest-lab Redis',
    limiter: 'throttler',
    note: '@nestjs/throttler 6 with `ThrottlerStorageRedisService` (@nest-lab/throttler-storage-redis) on an auto-pipelining ioredis client.',
  },
  {
    name: 'rate-limiter-flexible',
    limiter: 'flexible',
    note: '`RateLimiterRedis` in a Nest guard with `inMemoryBlockOnConsumed: limit` (a key over the limit is refused in process until its window ends) and a `RateLimiterMemory` `insuranceLimiter`; ioredis without offline queue, as its docs advise.',
  },
];

/** Per-run figures of one subject on one platform, per refused request. */
interface Sinks {
  cpu: number[];
  commands: number[];
  scripts: number[];
}
const slot = (name: string, platform: string): string => `${name}/${platform}`;

/** Redis calls so far, from INFO commandstats. */
interface Calls {
  /** Every command but INFO (the bench's own reads), those a script ran included. */
  commands: number;
  /** Script calls (EVAL, EVALSHA, FCALL and their _ro forms): the round trips of these limiters. */
  scripts: number;
}

async function redisCalls(redis: Redis): Promise<Calls> {
  const info = await redis.info('commandstats');
  const calls = { commands: 0, scripts: 0 };
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const [, name, count] = match as unknown as [string, string, string];
    if (name !== 'info') calls.commands += Number(count);
    if (/^(eval|evalsha|fcall)(_ro)?$/.test(name)) calls.scripts += Number(count);
  }
  return calls;
}

/** Asks until refused: the first FLOOD.limit requests pass, the next is a 429 with Retry-After. */
async function pushOverLimit(server: Server, name: string): Promise<void> {
  for (let i = 0; i <= FLOOD.limit; i++) {
    const res = await fetch(`http://127.0.0.1:${server.port}/flood`);
    await res.arrayBuffer();
    const expected = i < FLOOD.limit ? 200 : 429;
    if (res.status !== expected) {
      throw new Error(`${name}: request ${i + 1} answered ${res.status}, expected ${expected}`);
    }
    if (expected === 200 && res.headers.get('x-ratelimit-limit') !== String(FLOOD.limit)) {
      throw new Error(`${name}: an admitted request without X-RateLimit-Limit: ${FLOOD.limit}`);
    }
    if (expected === 429 && res.headers.get('retry-after') === null) {
      throw new Error(`${name}: the 429 has no Retry-After`);
    }
  }
}

/** One timed flood; every request must be refused. */
async function flood(
  server: Server,
  redis: Redis,
  seconds: number,
  sinks: Sinks,
): Promise<{ ops: number; ms: number }> {
  const cpu = await server.cpu();
  const calls = await redisCalls(redis);
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/flood`,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const ms = performance.now() - started;
  const refused = result.statusCodeStats['429']?.count ?? 0;
  if (result.errors + result.timeouts > 0 || result['2xx'] > 0 || refused === 0) {
    throw new Error(
      `port ${server.port}: ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  sinks.cpu.push(((await server.cpu()) - cpu) / refused);
  const after = await redisCalls(redis);
  sinks.commands.push((after.commands - calls.commands) / refused);
  sinks.scripts.push((after.scripts - calls.scripts) / refused);
  return { ops: refused, ms };
}

async function run(context: BenchContext): Promise<SectionReport> {
  const seconds = context.quick ? 1 : 4;
  const redisServer = await startRedisServer();
  context.log(`  redis-server ${redisServer.version} on ${redisServer.url}`);
  const redis = new Redis(redisServer.url);
  const servers = new Map<string, Server>();
  const sinks = new Map<string, Sinks>();
  try {
    let db = 0;
    for (const s of SUBJECTS) {
      for (const platform of PLATFORMS) {
        // A database per app, so the apps of one limiter on the two platforms count apart.
        const url = `${redisServer.url}/${db++}`;
        const server = await startChild(SCRIPT, [s.limiter, platform, url]);
        servers.set(slot(s.name, platform), server);
        await pushOverLimit(server, slot(s.name, platform));
        sinks.set(slot(s.name, platform), { cpu: [], commands: [], scripts: [] });
      }
    }
    const contenders: Contender[] = SUBJECTS.map((s) => ({
      name: s.name,
      note: s.note,
      runners: Object.fromEntries(
        PLATFORMS.map((platform) => {
          const key = slot(s.name, platform);
          return [platform, () => flood(servers.get(key)!, redis, seconds, sinks.get(key)!)];
        }),
      ),
    }));
    const samples = await interleave(contenders, PLATFORMS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (platform, name, round, rate) =>
        context.log(
          `  flood ${platform} round ${round + 1}: ${name} ${formatOps(rate.opsPerSec)} refused/s`,
        ),
    });
    // The warm-up run is not a round: drop its figures.
    for (const s of sinks.values()) for (const list of Object.values(s)) list.shift();
    const checks: Check[] = PLATFORMS.map((platform) => {
      const perRefused = median(sinks.get(slot(SUBJECTS[0]!.name, platform))!.commands);
      const ratio = MAX_COMMANDS_PER_REFUSED / Math.max(perRefused, Number.EPSILON);
      return {
        op: `one-key flood on ${platform}: at most 1 store command per 100 refused (median ${perRefused.toFixed(4)})`,
        contender: SUBJECTS[0]!.name,
        peer: 'the target',
        min: 1,
        section: 'rate-limit-flood',
        ratio,
        pairedRatio: ratio,
        ok: perRefused <= MAX_COMMANDS_PER_REFUSED,
      };
    });
    return {
      markdown: report(context, seconds, samples, sinks, checks),
      checks,
      environment: {
        Redis: `redis-server ${redisServer.version} (loopback, started by the bench)`,
      },
    };
  } finally {
    for (const s of servers.values()) await s.stop();
    redis.disconnect();
    await redisServer.stop();
  }
}

function report(
  context: BenchContext,
  seconds: number,
  samples: Samples,
  sinks: Map<string, Sinks>,
  checks: Check[],
): string {
  const tables = PLATFORMS.map((platform) => {
    const mid = medians(samples, platform);
    const rows = SUBJECTS.map((s) => {
      const ops = samples
        .get(platform)!
        .get(s.name)!
        .map((r) => r.opsPerSec);
      const { cpu, commands, scripts } = sinks.get(slot(s.name, platform))!;
      const ratios = SUBJECTS.slice(1).map((p) =>
        p.name === s.name ? '—' : formatRatio(mid.get(s.name)! / mid.get(p.name)!),
      );
      return `| ${s.name} | ${formatOps(mid.get(s.name)!)} | ${formatOps(Math.min(...ops))} – ${formatOps(Math.max(...ops))} | ${median(cpu).toFixed(1)} | ${median(commands).toFixed(3)} | ${median(scripts).toFixed(3)} | ${ratios.join(' | ')} |`;
    });
    return [
      `${platform === 'express' ? 'Express' : 'Fastify'}:`,
      '',
      `| Limiter | refused req/s (median) | min – max | app CPU µs/refused | Redis commands/refused | of which script calls | ${SUBJECTS.slice(
        1,
      )
        .map((p) => `vs ${p.name}`)
        .join(' | ')} |`,
      `| --- | ---: | ---: | ---: | ---: | ---: | ${SUBJECTS.slice(1)
        .map(() => '---:')
        .join(' | ')} |`,
      ...rows,
    ].join('\n');
  });
  return [
    `Nest 12 apps, each in its own child process, all on one redis-server; \`GET /flood\` allows ${FLOOD.limit} requests an hour per client address, ` +
      `and the one client (autocannon in the bench process, ${CONNECTIONS} connections, ${seconds} s per run) is over it before the first run, so every request is refused (429). ` +
      `${context.rounds} rounds interleaved in a shuffled order; medians of the rounds. App CPU is the server process's user + system time; ` +
      'Redis commands are the INFO commandstats delta of the run over the refused requests: every command but INFO, those a script ran included ' +
      '(Redis counts them too); "script calls" are EVAL/EVALSHA/FCALL alone, the round trips of these three limiters.',
    '',
    ...tables.flatMap((t) => [t, '']),
    'Limiters:',
    '',
    ...SUBJECTS.map((s) => `- **${s.name}**: ${s.note}`),
    '',
    'Targets:',
    '',
    ...checks.map((c) => `- ${c.ok ? 'PASS' : 'MISS'}: ${c.op}`),
  ].join('\n');
}

export const rateLimitFloodBench: BenchSection = {
  name: 'rate-limit-flood',
  title: 'Rate limiting: one-key flood',
  run,
};
