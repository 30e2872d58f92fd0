/**
 * What OpenTelemetry costs on the two hot paths: a `@Cacheable` hit (bench/cache.hit.bench.ts's
 * app) and `RateLimitGuard.canActivate` (bench/rate-limit.guard.bench.ts's), on memory and on
 * Redis, with metrics off against metrics on (an SDK MeterProvider registered, read by the
 * Prometheus exporter as an app would serve /metrics; no scrape during the runs). Target: metrics
 * on at most 5% slower. Metrics + traces (a tracer provider that samples every span and exports
 * none) is shown for information.
 */
import { metrics, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { INestApplicationContext } from '@nestjs/common';
import { configureKvsTelemetry } from '../lib/module/index.js';
import { Catalog, hitPathApp } from './cache.hit.bench.js';
import {
  checkTargets,
  concurrentLoop,
  formatChecks,
  interleave,
  markdownTable,
  sequentialLoop,
  type Contender,
  type Runner,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';
import { startGuard, type GuardSubject } from './rate-limit.guard.bench.js';

const OFF = 'metrics off';
const ON = 'metrics on';
const COUNTERS = 'metrics on, storeDurations: false';
const TRACED = 'metrics + traces';
const OPS = ['cache hit, memory', 'cache hit, redis', 'guard, memory', 'guard, redis'] as const;
const KEYS = 10_000;
const CONCURRENCY = 64;
/** Metrics on (with and without store durations) at most 5% slower than off. */
const TARGETS: Target[] = [ON, COUNTERS].flatMap((contender) =>
  OPS.map((op) => ({ op, contender, peer: OFF, min: 0.95 })),
);

/** The apps of one setting: created while it is in force (a store is timed or not from the start). */
interface Subjects {
  memory: INestApplicationContext;
  redis: INestApplicationContext;
  guards: { memory: GuardSubject; redis: GuardSubject };
}

async function subjects(url: string): Promise<Subjects> {
  const memory = await hitPathApp({ type: 'memory' });
  const redis = await hitPathApp({ type: 'redis', url, keyPrefix: 'bench-otel:' });
  const guards = {
    memory: await startGuard('kvs-memory', url),
    redis: await startGuard('kvs-redis', url),
  };
  return { memory, redis, guards };
}

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const tracerProvider = new BasicTracerProvider();
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  try {
    const settings = {
      off: { metrics: false, traces: false, storeDurations: true },
      on: { metrics: true, traces: false, storeDurations: true },
      counters: { metrics: true, traces: false, storeDurations: false },
      traced: { metrics: true, traces: true, storeDurations: true },
    };
    configureKvsTelemetry(settings.off);
    const off = await subjects(server.url);
    configureKvsTelemetry(settings.counters);
    const counters = await subjects(server.url);
    configureKvsTelemetry(settings.on);
    const on = await subjects(server.url);
    const ids = Array.from({ length: KEYS }, (_, i) => String(i));
    const runMs = context.quick ? 60 : 250;
    const opsPerRun = context.quick ? 5_000 : 30_000;
    for (const s of [off, counters, on]) {
      for (const app of [s.memory, s.redis]) {
        const catalog = app.get(Catalog);
        await concurrentLoop((i) => catalog.byKey(ids[i]!), KEYS, CONCURRENCY);
      }
    }
    const runners = (s: Subjects, setting: (typeof settings)['on']) => {
      const set =
        (r: Runner): Runner =>
        () => {
          configureKvsTelemetry(setting);
          return r();
        };
      const memory = s.memory.get(Catalog);
      const redis = s.redis.get(Catalog);
      return {
        [OPS[0]]: set(() => sequentialLoop((i) => memory.byKey(ids[i % KEYS]!), runMs)),
        [OPS[1]]: set(() =>
          concurrentLoop((i) => redis.byKey(ids[i % KEYS]!), opsPerRun, CONCURRENCY),
        ),
        [OPS[2]]: set(() => s.guards.memory.run(opsPerRun * 4)),
        [OPS[3]]: set(() => s.guards.redis.run(opsPerRun)),
      };
    };
    const contenders: Contender[] = [
      { name: OFF, runners: runners(off, settings.off) },
      { name: ON, runners: runners(on, settings.on) },
      { name: COUNTERS, runners: runners(counters, settings.counters) },
      { name: TRACED, runners: runners(on, settings.traced) },
    ];
    const samples = await interleave(contenders, OPS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s`,
        ),
    });
    for (const s of [off, counters, on]) {
      await Promise.all([s.memory.close(), s.redis.close(), s.guards.memory.close()]);
      await s.guards.redis.close();
    }
    const checks = checkTargets('telemetry', samples, TARGETS);
    const markdown = [
      `Cache hit: \`@Cacheable({ key })\` on ${KEYS.toLocaleString('en-US')} warm keys (bench/cache.hit.bench.ts), memory: one caller for ${runMs} ms per run; redis: ${CONCURRENCY} callers, ${opsPerRun.toLocaleString('en-US')} calls per run. ` +
        `Guard: \`RateLimitGuard.canActivate\` with a minimal HTTP context, ${CONCURRENCY} callers (bench/rate-limit.guard.bench.ts). ${context.rounds} rounds interleaved, medians.`,
      '',
      ...OPS.flatMap((op) => [`### ${op}`, '', markdownTable(samples, op, contenders, [OFF]), '']),
      'Contenders:',
      '',
      `- **${OFF}**: \`configureKvsTelemetry({ metrics: false, traces: false })\`, apps created so (stores not timed).`,
      `- **${ON}**: an SDK \`MeterProvider\` whose reader is the Prometheus exporter (\`preventServerStart\`), apps created with metrics on: counters per lookup and decision, the Redis store timed per operation.`,
      `- **${COUNTERS}**: the counters only, apps created so (stores not timed).`,
      `- **${TRACED}**: as above plus a \`BasicTracerProvider\` (every span sampled, none exported): a span per decision and per load.`,
    ];
    const environment = {
      Redis: `redis-server ${server.version} (loopback, started by the bench)`,
    };
    return {
      markdown: `${markdown.join('\n')}\n\nTargets:\n\n${formatChecks(checks)}`,
      checks,
      environment,
    };
  } finally {
    configureKvsTelemetry({ metrics: true, traces: true, storeDurations: true });
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    metrics.disable();
    trace.disable();
    await server.stop();
  }
}

/** The `telemetry` section of `npm run bench`. */
export const telemetryBench: BenchSection = {
  name: 'telemetry',
  title: 'OpenTelemetry overhead',
  run,
};
