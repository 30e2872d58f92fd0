/**
 * The local tier (issue 12): (1) an L1 hit against the memory store, cacheable and bentocache,
 * and with `shared: true` against a Redis-store hit (bench/cache.local.hit.bench.ts); (2) how long
 * an invalidation takes to reach another process, and what the bus adds to a write
 * (bench/cache.local.bus.bench.ts); (3) a cached HTTP route with the local tier against
 * @nestjs/cache-manager with a memory + Redis two-store setup (bench/cache.local.http.bench.ts).
 * One redis-server, started here.
 */
import { localBusPart } from './cache.local.bus.bench.js';
import { localHitPart } from './cache.local.hit.bench.js';
import { localHttpPart } from './cache.local.http.bench.js';
import { formatChecks } from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  try {
    const parts = [];
    for (const part of [localHitPart, localBusPart, localHttpPart]) {
      const t0 = performance.now();
      parts.push(await part(context, server));
      context.log(`  ${part.name} took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const checks = parts.flatMap((p) => p.checks);
    return {
      markdown: [...parts.map((p) => p.markdown), `Targets:\n\n${formatChecks(checks)}`].join(
        '\n\n',
      ),
      checks,
      environment: { Redis: `redis-server ${server.version} (loopback, started by the bench)` },
    };
  } finally {
    await server.stop();
  }
}

/** The `local` section of `npm run bench`. */
export const localBench: BenchSection = {
  name: 'local',
  title: 'Local tier (two-tier cache)',
  run,
};
