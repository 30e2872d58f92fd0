/**
 * Child process of the rate-limit bench: one Nest (express) app with two limited routes, limited
 * by nestjs-kvs or by @nestjs/throttler, on memory or on Redis.
 *
 *   node rate-limit.http-server.bench.js <kvs-redis|kvs-memory|throttler-redis|throttler-memory> <redis url>
 *
 * Both limiters count per client, the client being the `x-client` header (so one load generator
 * can play many clients), and both send the same three X-RateLimit-* headers. Routes:
 * - `GET /hot`: 1,000,000 a minute per client; the throughput runs stay far below it.
 * - `GET /burst`: 100 per 10 minutes per client; the over-admission bursts use a fresh client each.
 * It reports `{ port }` over IPC, answers any message with `{ cpu }` (CPU µs so far), and exits
 * when the parent disconnects.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { KvsModule } from '../lib/kvs/index.js';
import { RateLimit, RateLimitGuard, RateLimitModule } from '../lib/rate-limit/index.js';

/** The apps the bench starts. */
export type RateLimitContender =
  'kvs-redis' | 'kvs-memory' | 'throttler-redis' | 'throttler-memory';

const HOT = { limit: 1_000_000, ttl: 60_000 };
const BURST = { limit: 100, ttl: 600_000 };

interface BenchRequest {
  headers: Record<string, string | string[] | undefined>;
}
/** The client a request comes from: its `x-client` header. */
export const client = (req: object): string => String((req as BenchRequest).headers['x-client']);

@Controller()
export class KvsController {
  @Get('hot')
  @RateLimit({ limit: HOT.limit, window: HOT.ttl })
  hot(): string {
    return 'ok';
  }

  @Get('burst')
  @RateLimit({ limit: BURST.limit, window: BURST.ttl })
  burst(): string {
    return 'ok';
  }
}

/** Counts per `x-client`, through the guard's documented extension point. */
@Injectable()
export class ClientRateLimitGuard extends RateLimitGuard {
  protected override getTracker(req: object): string {
    return client(req);
  }
}

@Controller()
export class ThrottlerController {
  @Get('hot')
  hot(): string {
    return 'ok';
  }

  @Get('burst')
  @Throttle({ default: BURST })
  burst(): string {
    return 'ok';
  }
}

/** The app of `kind`: its limiter, a global guard, and the two routes. */
export function appModule(kind: RateLimitContender, url: string): DynamicModule {
  if (kind === 'kvs-redis' || kind === 'kvs-memory') {
    return {
      module: class KvsApp {},
      imports: [
        KvsModule.forRoot(kind === 'kvs-redis' ? { type: 'redis', url } : { type: 'memory' }),
        RateLimitModule.forRoot({ headers: 'legacy' }),
      ],
      controllers: [KvsController],
      providers: [{ provide: APP_GUARD, useClass: ClientRateLimitGuard }],
    };
  }
  // The peer at its best: its Redis storage gets an auto-pipelining client, like our store's. The
  // storage leaves a client it was given open, so a provider closes it with the app.
  const redis =
    kind === 'throttler-redis' ? new Redis(url, { enableAutoPipelining: true }) : undefined;
  const storage = redis === undefined ? undefined : new ThrottlerStorageRedisService(redis);
  return {
    module: class ThrottlerApp {},
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [{ name: 'default', ...HOT }],
        getTracker: client,
        ...(storage === undefined ? {} : { storage }),
      }),
    ],
    controllers: [ThrottlerController],
    providers: [
      { provide: APP_GUARD, useClass: ThrottlerGuard },
      {
        provide: 'BENCH_REDIS_CLOSER',
        useValue: {
          onApplicationShutdown: () => redis?.disconnect(),
        } satisfies OnApplicationShutdown,
      },
    ],
  };
}

@Module({})
class Root {}

async function main(): Promise<void> {
  const [kind, url] = process.argv.slice(2) as [RateLimitContender, string];
  const app = await NestFactory.create(
    { module: Root, imports: [appModule(kind, url)] },
    { logger: ['error'] },
  );
  await serveToParent(app);
}

/**
 * Listens on a free loopback port and tells the parent (bench/rate-limit.http.bench.ts
 * `startChild`): `{ port }` once listening, `{ cpu }` (µs so far) on any message; closes the app
 * and exits when the parent disconnects.
 */
export async function serveToParent(app: INestApplication): Promise<void> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  });
  process.once('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  process.send?.({ port });
}

// Only as a forked child (the guard bench imports this file for its modules).
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) void main();
