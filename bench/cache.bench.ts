/**
 * Caching: (1) the hit-path cost of @Cacheable against a hand-written store read
 * (bench/cache.hit.bench.ts), (2) a cached GET route over HTTP against @nestjs/cache-manager's
 * CacheInterceptor on the same Redis (bench/cache.http.bench.ts). One redis-server, started here.
 */
import { hitPathPart } from './cache.hit.bench.js';
import { hasKeyvRedis, httpPart } from './cache.http.bench.js';
import { formatChecks } from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

async function run(context: BenchContext): Promise<SectionReport> {
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  try {
    const hit = await hitPathPart(context, server.url);
    const parts = [hit.markdown];
    const checks = [...hit.checks];
    if (await hasKeyvRedis()) {
      const web = await httpPart(context, server.url);
      parts.push('', web.markdown);
      checks.push(...web.checks);
    } else {
      parts.push('', 'HTTP part skipped: `@keyv/redis` is not installed (`npm i -D @keyv/redis`).');
    }
    parts.push('', 'Targets:', '', formatChecks(checks));
    return {
      markdown: parts.join('\n'),
      checks,
      environment: { Redis: `redis-server ${server.version} (loopback, started by the bench)` },
    };
  } finally {
    await server.stop();
  }
}

/** The `cache` section of `npm run bench`. */
export const cacheBench: BenchSection = {
  name: 'cache',
  title: 'Caching',
  run,
};
