/**
 * What OpenTelemetry costs on the two hot paths: a `@Cacheable` hit (bench/cache.hit.bench.ts's
 * app) and `RateLimitGuard.canActivate` (bench/rate-limit.guard.bench.ts's), on memory and on
 * Redis, with metrics off against metrics on (an SDK MeterProvider registered, read by the
 * Prometheus exporter as an app would serve /metrics; no scrape during the runs). Target: the
 * default (metrics on) at most 5% more CPU per call. Store timing (`storeDurations: true`) and
 * traces (a tracer provider that samples every span and exports none) are shown for information.
 *
 * How it measures: one set of apps serves every contender (the settings apply at once, so only
 * `configureKvsTelemetry` differs between them: same connections, same keys, same warm JIT). The
 * runs are interleaved in a shuffled order each round; the primary figure is the CPU time of this
 * process per call (redis-server's excluded), and the target is checked on the median over the
 * rounds of the paired ratio (off's CPU / the contender's, within the same round).
 */
import { metrics, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { configureKvsTelemetry, type KvsTelemetryOptions } from '../lib/module/index.js';
import { Catalog, hitPathApp } from './cache.hit.bench.js';
import {
  concurrentLoop,
  formatChecks,
  interleave,
  markdownTable,
  median,
  sequentialLoop,
  type Check,
  type Contender,
  type Runner,
  type Samples,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';
import { startGuard } from './rate-limit.guard.bench.js';

const OFF = 'metrics off';
const ON = 'metrics on (default)';
const DURATIONS = 'on + storeDurations';
const TRACED = 'on + traces';
const OPS = ['cache hit, memory', 'cache hit, redis', 'guard, memory', 'guard, redis'] as const;
const KEYS = 10_000;
const CONCURRENCY = 64;
/** The default (metrics on) at most 5% more CPU per call than metrics off. */
const TARGETS: Target[] = OPS.map((op) => ({ op, contender: ON, peer: OFF, min: 1 / 1.05 }));

const SETTINGS: Record<string, Required<KvsTelemetryOptions>> = {
  [OFF]: { metrics: false, traces: false, storeDurations: false },
  [ON]: { metrics: true, traces: false, storeDurations: false },
  [DURATIONS]: { metrics: true, traces: false, storeDurations: true },
  [TRACED]: { metrics: true, traces: true, storeDurations: false },
};

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const tracerProvider = new BasicTracerProvider();
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  try {
    const memory = await hitPathApp({ type: 'memory' });
    const redis = await hitPathApp({ type: 'redis', url: server.url, keyPrefix: 'bench-otel:' });
    const guards = {
      memory: await startGuard('kvs-memory', server.url),
      redis: await startGuard('kvs-redis', server.url),
    };
    const ids = Array.from({ length: KEYS }, (_, i) => String(i));
    const runMs = context.quick ? 60 : 250;
    const opsPerRun = context.quick ? 5_000 : 30_000;
    const [onMemory, onRedis] = [memory.get(Catalog), redis.get(Catalog)];
    for (const catalog of [onMemory, onRedis]) {
      await concurrentLoop((i) => catalog.byKey(ids[i]!), KEYS, CONCURRENCY);
    }
    const paths: Record<string, Runner> = {
      [OPS[0]]: () => sequentialLoop((i) => onMemory.byKey(ids[i % KEYS]!), runMs),
      [OPS[1]]: () => concurrentLoop((i) => onRedis.byKey(ids[i % KEYS]!), opsPerRun, CONCURRENCY),
      [OPS[2]]: () => guards.memory.run(opsPerRun * 4),
      [OPS[3]]: () => guards.redis.run(opsPerRun),
    };
    const contenders: Contender[] = Object.entries(SETTINGS).map(([name, setting]) => ({
      name,
      runners: Object.fromEntries(
        OPS.map((op) => [
          op,
          () => {
            configureKvsTelemetry(setting);
            return paths[op]!();
          },
        ]),
      ),
    }));
    const samples = await interleave(contenders, OPS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s, ${rate.cpuMicros.toFixed(2)} CPU µs/call`,
        ),
    });
    await Promise.all([memory.close(), redis.close(), guards.memory.close()]);
    await guards.redis.close();
    const checks = cpuChecks(samples, TARGETS);
    const markdown = [
      `Cache hit: \`@Cacheable({ key })\` on ${KEYS.toLocaleString('en-US')} warm keys (bench/cache.hit.bench.ts), memory: one caller for ${runMs} ms per run; redis: ${CONCURRENCY} callers, ${opsPerRun.toLocaleString('en-US')} calls per run. ` +
        `Guard: \`RateLimitGuard.canActivate\` with a minimal HTTP context, ${CONCURRENCY} callers (bench/rate-limit.guard.bench.ts). ` +
        `One set of apps for every contender (only \`configureKvsTelemetry\` differs), ${context.rounds} rounds interleaved, medians.`,
      '',
      'CPU µs per call of this process (median), and in brackets the median over the rounds of the paired CPU ratio (metrics off / contender; below 1.00x: more CPU):',
      '',
      summary(samples),
      '',
      ...OPS.flatMap((op) => [`### ${op}`, '', markdownTable(samples, op, contenders, [OFF]), '']),
      'Contenders:',
      '',
      `- **${OFF}**: \`configureKvsTelemetry({ metrics: false, traces: false })\` (the Redis stores' timed view passes calls through).`,
      `- **${ON}**: an SDK \`MeterProvider\` whose reader is the Prometheus exporter (\`preventServerStart\`): counters per lookup and decision.`,
      `- **${DURATIONS}**: as above, and every Redis store operation timed in \`kvs.store.operation.duration\`.`,
      `- **${TRACED}**: the default plus a \`BasicTracerProvider\` (every span sampled, none exported): a span per decision and per load.`,
    ];
    const environment = {
      Redis: `redis-server ${server.version} (loopback, started by the bench)`,
    };
    return {
      markdown: `${markdown.join('\n')}\n\nTargets (CPU per call):\n\n${formatChecks(checks)}`,
      checks,
      environment,
    };
  } finally {
    configureKvsTelemetry({ metrics: true, traces: true, storeDurations: false });
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
    await server.stop();
  }
}

/** The CPU of `peer` over the contender's in each round (higher is better, as ops/s ratios are). */
function cpuRatios(samples: Samples, op: string, contender: string, peer: string): number[] {
  const rates = samples.get(op)!;
  const theirs = rates.get(peer)!;
  return rates.get(contender)!.map((r, i) => theirs[i]!.cpuMicros / r.cpuMicros);
}

/** `targets` checked on CPU per call: the ratio of medians, and the median of paired ratios. */
function cpuChecks(samples: Samples, targets: readonly Target[]): Check[] {
  return targets.map((t) => {
    const cpu = (name: string) =>
      median(
        samples
          .get(t.op)!
          .get(name)!
          .map((r) => r.cpuMicros),
      );
    const pairedRatio = median(cpuRatios(samples, t.op, t.contender, t.peer));
    const ratio = cpu(t.peer) / cpu(t.contender);
    return { ...t, section: 'telemetry', ratio, pairedRatio, ok: pairedRatio >= t.min };
  });
}

/** One row per path, one column per contender: CPU µs per call and the paired ratio to off. */
function summary(samples: Samples): string {
  const names = Object.keys(SETTINGS);
  const rows = OPS.map((op) => {
    const cells = names.map((name) => {
      const cpu = median(
        samples
          .get(op)!
          .get(name)!
          .map((r) => r.cpuMicros),
      ).toFixed(2);
      if (name === OFF) return cpu;
      return `${cpu} (${median(cpuRatios(samples, op, name, OFF)).toFixed(2)}x)`;
    });
    return `| ${op} | ${cells.join(' | ')} |`;
  });
  const align = `| --- | ${names.map(() => '---:').join(' | ')} |`;
  return [`| Path | ${names.join(' | ')} |`, align, ...rows].join('\n');
}

/** The `telemetry` section of `npm run bench`. */
export const telemetryBench: BenchSection = {
  name: 'telemetry',
  title: 'OpenTelemetry overhead',
  run,
};
