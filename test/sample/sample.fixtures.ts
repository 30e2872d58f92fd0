/**
 * Helpers of the sample's e2e suites: boot the sample's AppModule on a given store (as
 * `npm run start:sample` does, without listening) and drive it over HTTP with supertest.
 */
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { KVS_CACHE_OPTIONS } from '../../lib/cache/cache.constants.js';
import type { KvsCacheModuleOptions, KvsModuleOptions } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import type { SampleConfig } from '../../sample/sample.config.js';

/** Flags are reused this long by each instance; short, so a flip shows within the test. */
export const REFRESH_MS = 400;

/** The sample's configuration on `store`, with a fast catalog and a short flag refresh. */
export function sampleConfig(store: KvsModuleOptions): SampleConfig {
  return {
    store,
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://sample.test',
    sessionSecret: 'test secret',
    flagsRefreshMs: REFRESH_MS,
    catalogDelayMs: 20,
  };
}

/** What a test may change in the sample it boots. */
export interface SampleOverrides {
  /** The catalog's delay per read (default 20 ms). */
  catalogDelayMs?: number;
  /** The cache's wall clock (stale, grace and backoff times), instead of Date.now. */
  clock?: () => number;
}

const open: INestApplication[] = [];

/** Boots one instance of the sample on `store`. Close it (and all others) with `closeSamples()`. */
export async function bootSample(store: KvsModuleOptions, overrides: SampleOverrides = {}) {
  const { clock, ...config } = overrides;
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot({ ...sampleConfig(store), ...config })],
  });
  if (clock !== undefined) {
    // AppModule's cache options (KvsCacheModule.forRoot({ ttl: 60_000 })), with the clock.
    const options: KvsCacheModuleOptions = { ttl: 60_000, clock };
    builder = builder.overrideProvider(KVS_CACHE_OPTIONS).useValue(options);
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  open.push(app);
  await app.init();
  const server = app.getHttpServer() as Parameters<typeof request>[0];
  return { app, http: () => request(server) };
}

/** Closes every instance `bootSample` opened. */
export async function closeSamples(): Promise<void> {
  await Promise.all(open.splice(0).map((app) => app.close()));
}

/** The session cookie a response set (`connect.sid=...`). */
export function sessionCookie(res: request.Response): string {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.find((c) => c.startsWith('connect.sid='));
  if (cookie === undefined) throw new Error('no session cookie was set');
  return cookie.split(';')[0]!;
}
