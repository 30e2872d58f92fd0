/**
 * Child process of the one-key flood bench: one Nest app (Express or Fastify) with `GET /flood`
 * limited to FLOOD.limit requests an hour per client address, by one of three limiters on Redis:
 *
 *   node rate-limit.flood-server.bench.js <kvs|throttler|flexible> <express|fastify> <redis url>
 *
 * - kvs: RateLimitGuard on a KvsModule Redis store (defaults), `legacy` headers.
 * - throttler: @nestjs/throttler with @nest-lab/throttler-storage-redis (auto-pipelining client).
 * - flexible: rate-limiter-flexible's RateLimiterRedis in a Nest guard, set up as its docs advise
 *   against floods: `inMemoryBlockOnConsumed` (a key over the limit is refused in process until its
 *   window ends) and a RateLimiterMemory `insuranceLimiter` (used while Redis fails).
 * All three count under the client address (`req.ip`), refuse with 429 and Retry-After, and send
 * X-RateLimit-Limit/Remaining/Reset (throttler only on admitted requests). Reports `{ port }` over IPC, answers any message with
 * `{ cpu }` (CPU µs so far), and exits when the parent disconnects.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Module,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { KvsModule } from '../lib/kvs/index.js';
import { RateLimit, RateLimitGuard, RateLimitModule } from '../lib/rate-limit/index.js';
import { serveToParent } from './rate-limit.http-server.bench.js';

export type FloodLimiter = 'kvs' | 'throttler' | 'flexible';
export type FloodPlatform = 'express' | 'fastify';

/** The route's limit: an hour's window, so a client over it stays over it for the whole run. */
export const FLOOD = { limit: 10, windowMs: 3_600_000 };

@Controller()
class KvsController {
  @Get('flood')
  @RateLimit({ limit: FLOOD.limit, window: FLOOD.windowMs })
  flood(): string {
    return 'ok';
  }
}

/** The route without a limiter's decorator: FlexibleGuard limits every route. */
@Controller()
class PlainController {
  @Get('flood')
  flood(): string {
    return 'ok';
  }
}

@Controller()
class ThrottlerController {
  @Get('flood')
  @Throttle({ default: { limit: FLOOD.limit, ttl: FLOOD.windowMs } })
  flood(): string {
    return 'ok';
  }
}

const FLEXIBLE = Symbol.for('bench:rate-limiter-flexible');

/** rate-limiter-flexible in a Nest guard, the way its docs show it in middleware. */
@Injectable()
class FlexibleGuard implements CanActivate {
  constructor(
    @Inject(FLEXIBLE) private readonly limiter: RateLimiterRedis,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const { ip } = http.getRequest<{ ip: string }>();
    const res = http.getResponse<object>();
    try {
      this.#headers(res, await this.limiter.consume(ip));
      return true;
    } catch (rejected) {
      if (!(rejected instanceof RateLimiterRes)) throw rejected;
      this.#headers(res, rejected);
      this.adapterHost.httpAdapter.setHeader(
        res,
        'Retry-After',
        String(Math.ceil(rejected.msBeforeNext / 1000)),
      );
      throw new HttpException('Too Many Requests', HttpStatus.TOO_MANY_REQUESTS);
    }
  }

  #headers(res: object, state: RateLimiterRes): void {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(res, 'X-RateLimit-Limit', String(FLOOD.limit));
    adapter.setHeader(res, 'X-RateLimit-Remaining', String(state.remainingPoints));
    const reset = Math.ceil((Date.now() + state.msBeforeNext) / 1000);
    adapter.setHeader(res, 'X-RateLimit-Reset', String(reset));
  }
}

/** Closes a Redis client the app was given, with the app. */
const closer = (redis: Redis) => ({
  provide: 'BENCH_REDIS_CLOSER',
  useValue: { onApplicationShutdown: () => redis.disconnect() } satisfies OnApplicationShutdown,
});

/** The app of `limiter` on the Redis at `url`. */
export async function floodModule(limiter: FloodLimiter, url: string): Promise<DynamicModule> {
  if (limiter === 'kvs') {
    return {
      module: class KvsFloodApp {},
      imports: [
        KvsModule.forRoot({ type: 'redis', url }),
        RateLimitModule.forRoot({ headers: 'legacy' }),
      ],
      controllers: [KvsController],
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
  if (limiter === 'throttler') {
    const redis = new Redis(url, { enableAutoPipelining: true });
    return {
      module: class ThrottlerFloodApp {},
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', limit: FLOOD.limit, ttl: FLOOD.windowMs }],
          storage: new ThrottlerStorageRedisService(redis),
        }),
      ],
      controllers: [ThrottlerController],
      providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }, closer(redis)],
    };
  }
  // rate-limiter-flexible's advice for ioredis: no offline queue, so a Redis outage goes to the
  // insurance limiter at once instead of queueing.
  const redis = new Redis(url, { enableOfflineQueue: false });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const points = FLOOD.limit;
  const duration = FLOOD.windowMs / 1000;
  const flexible = new RateLimiterRedis({
    storeClient: redis,
    points,
    duration,
    inMemoryBlockOnConsumed: points,
    insuranceLimiter: new RateLimiterMemory({ points, duration }),
  });
  return {
    module: class FlexibleFloodApp {},
    controllers: [PlainController],
    providers: [
      { provide: FLEXIBLE, useValue: flexible },
      { provide: APP_GUARD, useClass: FlexibleGuard },
      closer(redis),
    ],
  };
}

@Module({})
class Root {}

async function main(): Promise<void> {
  const [limiter, platform, url] = process.argv.slice(2) as [FloodLimiter, FloodPlatform, string];
  const module = { module: Root, imports: [await floodModule(limiter, url)] };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: ['error'] })
      : await NestFactory.create(module, { logger: ['error'] });
  await serveToParent(app);
}

// Only as a forked child (the flood section imports this file for FLOOD).
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) void main();
