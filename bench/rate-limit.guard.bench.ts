/**
 * The guard alone, without HTTP: `canActivate` of each limiter's guard called in this process with
 * a minimal HTTP execution context, 64 callers at a time, over the same 10,000 clients as the HTTP
 * runs. It isolates what the limiter itself costs per request (on Redis: client, script, reply),
 * which the HTTP figures bury under Express and Nest's own ~100 µs per request.
 */
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory, Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerGuard } from '@nestjs/throttler';
import { RateLimiter } from '../lib/rate-limit/index.js';
import { concurrentLoop, type Sample } from './lib/measure.js';
import {
  appModule,
  ClientRateLimitGuard,
  KvsController,
  ThrottlerController,
  type RateLimitContender,
} from './rate-limit.http-server.bench.js';

const CLIENTS = 10_000;
const CONCURRENCY = 64;

/** A guard of one contender, ready to call, and the app that holds its limiter. */
export interface GuardSubject {
  run(decisions: number): Promise<Sample>;
  close(): Promise<void>;
}

/** Builds the app of `kind` in this process (not listening) and takes its guard. */
export async function startGuard(kind: RateLimitContender, url: string): Promise<GuardSubject> {
  const app: INestApplication = await NestFactory.create(appModule(kind, url), { logger: false });
  await app.init();
  let guard: CanActivate;
  let controller: KvsController | ThrottlerController;
  if (kind.startsWith('kvs')) {
    guard = new ClientRateLimitGuard(
      app.get(RateLimiter),
      app.get(Reflector),
      app.get(HttpAdapterHost),
    );
    controller = new KvsController();
  } else {
    const throttler = new ThrottlerGuard(
      app.get(getOptionsToken()),
      app.get(getStorageToken()),
      app.get(Reflector),
    );
    await throttler.onModuleInit();
    guard = throttler;
    controller = new ThrottlerController();
  }
  const response = { set() {}, setHeader() {}, header() {} };
  const handler = Object.getPrototypeOf(controller).hot as () => string;
  const context = (i: number): ExecutionContext =>
    ({
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => controller.constructor,
      switchToHttp: () => ({
        getRequest: () => ({ headers: { 'x-client': `c${i % CLIENTS}` }, ip: '127.0.0.1' }),
        getResponse: () => response,
      }),
    }) as unknown as ExecutionContext;
  return {
    run: (decisions) =>
      concurrentLoop(
        async (i) => {
          if ((await guard.canActivate(context(i))) !== true) throw new Error(`${kind} refused`);
        },
        decisions,
        CONCURRENCY,
      ),
    close: () => app.close(),
  };
}
