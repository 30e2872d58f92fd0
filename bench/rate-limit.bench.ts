/**
 * Rate limiting through Nest (express) apps, each in its own child process
 * (bench/rate-limit.http-server.bench.ts): nestjs-kvs against @nestjs/throttler, on the same Redis
 * (throttler with @nest-lab/throttler-storage-redis) and in memory (throttler's own storage).
 *
 * - Throughput: autocannon drives `GET /hot` for a few seconds per run as 10,000 clients (the
 *   `x-client` header), all far below their limit, so every request is counted and admitted.
 * - The guard alone: `canActivate` in this process (bench/rate-limit.guard.bench.ts), which shows
 *   what the limiter itself costs; Express and Nest take ~100 µs of each HTTP request.
 * - Over-admission: a burst of 1,000 concurrent requests from one fresh client on `GET /burst`
 *   (limit 100); on Redis the burst is split over two app processes sharing the Redis.
 */
import {
  checkTargets,
  formatChecks,
  formatOps,
  formatRatio,
  interleave,
  markdownTable,
  median,
  medians,
  type Contender,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';
import { startGuard, type GuardSubject } from './rate-limit.guard.bench.js';
import type { RateLimitContender } from './rate-limit.http-server.bench.js';
import {
  burst,
  BURST,
  CLIENTS,
  CONNECTIONS,
  hammer,
  startServer,
  type Server,
} from './rate-limit.http.bench.js';

const OP = 'requests';
const BURST_OP = 'burst (limit / most admitted)';
const GUARD_OP = 'guard';

interface Subject {
  name: string;
  kind: RateLimitContender;
  note: string;
}
const SUBJECTS: Subject[] = [
  {
    name: 'nestjs-kvs, Redis',
    kind: 'kvs-redis',
    note: '`RateLimitModule` on a `KvsModule` Redis store (defaults: sliding window, one EVALSHA per request), `legacy` headers.',
  },
  {
    name: 'throttler + nest-lab Redis',
    kind: 'throttler-redis',
    note: '@nestjs/throttler 6 with `ThrottlerStorageRedisService` from @nest-lab/throttler-storage-redis, given an ioredis client with auto-pipelining (fixed window, EVAL of the script source per request).',
  },
  {
    name: 'nestjs-kvs, memory',
    kind: 'kvs-memory',
    note: '`RateLimitModule` on a `KvsModule` memory store (sliding window), `legacy` headers.',
  },
  {
    name: 'throttler, memory',
    kind: 'throttler-memory',
    note: '@nestjs/throttler 6 with its default in-memory storage.',
  },
];
const TARGETS: Target[] = [
  { op: OP, contender: SUBJECTS[0]!.name, peer: SUBJECTS[1]!.name, min: 1.2 },
  { op: OP, contender: SUBJECTS[2]!.name, peer: SUBJECTS[3]!.name, min: 1.0 },
];
/** The same ratios for the guard alone; reported, not the targets. */
const GUARD_RATIOS: Target[] = TARGETS.map((t) => ({ ...t, op: GUARD_OP }));

async function run(context: BenchContext): Promise<SectionReport> {
  const seconds = context.quick ? 1 : 5;
  const bursts = context.quick ? 1 : 3;
  const redis = await startRedisServer();
  context.log(`  redis-server ${redis.version} on ${redis.url}`);
  const servers = new Map<string, Server[]>();
  const guards = new Map<string, GuardSubject>();
  const decisions = context.quick ? 20_000 : 100_000;
  try {
    for (const s of SUBJECTS) {
      const count = s.kind.endsWith('redis') ? 2 : 1;
      const started: Server[] = [];
      for (let i = 0; i < count; i++) started.push(await startServer(s.kind, redis.url));
      servers.set(s.name, started);
    }
    for (const s of SUBJECTS) {
      const res = await fetch(`http://127.0.0.1:${servers.get(s.name)![0]!.port}/hot`, {
        headers: { 'x-client': 'check' },
      });
      if (res.status !== 200 || res.headers.get('x-ratelimit-limit') !== '1000000') {
        throw new Error(`${s.name}: GET /hot answered ${res.status} without the expected headers`);
      }
      await res.arrayBuffer();
    }

    for (const s of SUBJECTS) guards.set(s.name, await startGuard(s.kind, redis.url));

    const cpu = new Map(SUBJECTS.map((s) => [s.name, [] as number[]]));
    const contenders: Contender[] = SUBJECTS.map((s) => ({
      name: s.name,
      note: s.note,
      runners: {
        [OP]: () => hammer(servers.get(s.name)![0]!, seconds, cpu.get(s.name)!),
        [GUARD_OP]: () => guards.get(s.name)!.run(decisions),
      },
    }));
    const samples = await interleave(contenders, [OP, GUARD_OP], {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  rate-limit ${op} round ${round + 1}: ${name} ${formatOps(rate.opsPerSec)}/s`,
        ),
    });

    const admitted = new Map<string, number[]>();
    for (let b = 0; b < bursts; b++) {
      for (const s of SUBJECTS) {
        const n = await burst(servers.get(s.name)!, `burst-${b}-${s.kind}-${Date.now()}`);
        admitted.set(s.name, [...(admitted.get(s.name) ?? []), n]);
        context.log(`  burst ${b + 1}: ${s.name} admitted ${n} of ${BURST.requests}`);
      }
    }

    const checks = checkTargets('rate-limit', samples, TARGETS);
    for (const s of SUBJECTS) {
      // limit / most admitted: 1.00x is exact, below 1 means over-admission
      const ratio = BURST.limit / Math.max(...admitted.get(s.name)!);
      checks.push({
        op: BURST_OP,
        contender: s.name,
        peer: 'the limit',
        min: 1,
        section: 'rate-limit',
        ratio,
        pairedRatio: ratio,
        ok: ratio >= 1,
      });
    }
    return {
      markdown: report(context, seconds, samples, cpu, admitted, checks, contenders, decisions),
      checks: checks.filter((c) => c.op === OP || c.contender.startsWith('nestjs-kvs')),
      environment: { Redis: `redis-server ${redis.version} (loopback, started by the bench)` },
    };
  } finally {
    for (const g of guards.values()) await g.close();
    for (const list of servers.values()) for (const s of list) await s.stop();
    await redis.stop();
  }
}

function report(
  context: BenchContext,
  seconds: number,
  samples: Awaited<ReturnType<typeof interleave>>,
  cpu: Map<string, number[]>,
  admitted: Map<string, number[]>,
  checks: ReturnType<typeof checkTargets>,
  contenders: Contender[],
  decisions: number,
): string {
  const guardRatios = checkTargets('rate-limit', samples, GUARD_RATIOS);
  const mid = medians(samples, OP);
  const rates = samples.get(OP)!;
  const peerOf = (name: string): string | undefined =>
    TARGETS.find((t) => t.contender === name)?.peer;
  const rows = SUBJECTS.map((s) => {
    const ops = rates.get(s.name)!.map((r) => r.opsPerSec);
    const peer = peerOf(s.name);
    return `| ${s.name} | ${formatOps(mid.get(s.name)!)} | ${formatOps(Math.min(...ops))} – ${formatOps(Math.max(...ops))} | ${median(cpu.get(s.name)!).toFixed(1)} | ${peer === undefined ? '—' : formatRatio(mid.get(s.name)! / mid.get(peer)!)} |`;
  });
  const burstRows = SUBJECTS.map((s) => {
    const list = admitted.get(s.name)!;
    const over = Math.max(...list) - BURST.limit;
    return `| ${s.name} | ${s.kind.endsWith('redis') ? 2 : 1} | ${list.join(', ')} | ${Math.max(0, over)} |`;
  });
  const ourChecks = checks.filter((c) => c.op === OP);
  return [
    `Nest 12 (express) apps, each in its own child process; autocannon in the bench process, ${CONNECTIONS} connections, ` +
      `${seconds} s per run, ${context.rounds} rounds interleaved (median of the rounds). Requests rotate over ${CLIENTS.toLocaleString('en-US')} clients ` +
      '(`x-client`), each far below its limit, so every request is counted and admitted. Both limiters send X-RateLimit-Limit/Remaining/Reset.',
    '',
    '| Contender | req/s (median) | min – max | app CPU µs/req | vs peer |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `The guard alone (no HTTP): \`canActivate\` called in the bench process with a minimal context, ${decisions.toLocaleString('en-US')} decisions per run ` +
      'from 64 concurrent callers over the same clients. CPU µs/decision is this process only (not redis-server).',
    '',
    markdownTable(samples, GUARD_OP, contenders, [SUBJECTS[1]!.name, SUBJECTS[3]!.name]),
    '',
    ...guardRatios.map(
      (c) =>
        `- guard: ${c.contender} at ${formatRatio(c.ratio)} of ${c.peer} (per-round paired ratio, median: ${formatRatio(c.pairedRatio)})`,
    ),
    '',
    `Over-admission: ${BURST.requests.toLocaleString('en-US')} concurrent requests (${BURST.connections} connections) from one fresh client on a route limited to ${BURST.limit}; ` +
      'on Redis the burst is split over two app processes sharing the Redis.',
    '',
    '| Contender | app processes | admitted per burst | beyond the limit (worst) |',
    '| --- | ---: | --- | ---: |',
    ...burstRows,
    '',
    'Contenders:',
    '',
    ...SUBJECTS.map((s) => `- **${s.name}**: ${s.note}`),
    '',
    'Targets:',
    '',
    formatChecks(ourChecks),
    ...checks
      .filter((c) => c.op === BURST_OP && c.contender.startsWith('nestjs-kvs'))
      .map((c) => `- ${c.ok ? 'PASS' : 'MISS'}: zero over-admission — ${c.contender}`),
  ].join('\n');
}

export const rateLimitBench: BenchSection = {
  name: 'rate-limit',
  title: 'Rate limiting',
  run,
};
