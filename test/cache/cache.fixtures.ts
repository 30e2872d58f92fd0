/**
 * Helpers of the cache e2e suites: boot a tiny Nest app around a KvsModule store (memory, or a
 * real redis-server the suite started) and KvsCacheModule, and close every app after each test.
 */
import type { INestApplication, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  getKvsToken,
  KvsCache,
  KvsCacheModule,
  KvsModule,
  type KvsCacheModuleOptions,
  type KvsModuleOptions,
  type KvsStore,
} from '../../lib/index.js';

/** The backends every behaviour is checked on. */
export type Backend = 'memory' | 'redis';
export const BACKENDS: Backend[] = ['memory', 'redis'];

const open: INestApplication[] = [];
let prefixes = 0;

/** A key prefix no other test uses, so tests sharing one redis-server never see each other's keys. */
export function uniquePrefix(): string {
  return `t${++prefixes}-${process.pid}:`;
}

export interface BootOptions {
  backend: Backend;
  /** The redis-server URL (backend 'redis'). */
  url?: string;
  /** The store's keyPrefix (Redis) so that two apps can share keys; default: a fresh one. */
  keyPrefix?: string;
  cache?: KvsCacheModuleOptions;
  /** The whole store registration instead (e.g. a Cluster or Sentinel); overrides url/keyPrefix. */
  storeOptions?: KvsModuleOptions;
  /** Extra options of the memory store (e.g. a clock). */
  memory?: Partial<KvsModuleOptions & { type: 'memory' }>;
  providers?: Provider[];
  controllers?: Type[];
  imports?: ModuleMetadata['imports'];
}

/** A running app, its store and its KvsCache. */
export interface Booted {
  app: INestApplication;
  store: KvsStore;
  cache: KvsCache;
}

/** Compiles and initialises an app (closed by `closeApps()`). */
export async function boot(options: BootOptions): Promise<Booted> {
  const storeOptions: KvsModuleOptions =
    options.storeOptions ??
    (options.backend === 'memory'
      ? { type: 'memory', ...options.memory }
      : { type: 'redis', url: options.url!, keyPrefix: options.keyPrefix ?? uniquePrefix() });
  const moduleRef = await Test.createTestingModule({
    imports: [
      KvsModule.forRoot(storeOptions),
      KvsCacheModule.forRoot(options.cache ?? {}),
      ...(options.imports ?? []),
    ],
    providers: options.providers ?? [],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  open.push(app);
  await app.init();
  return { app, store: app.get<KvsStore>(getKvsToken()), cache: app.get(KvsCache) };
}

/** Closes every app `boot` opened. */
export async function closeApps(): Promise<void> {
  await Promise.all(open.splice(0).map((app) => app.close()));
}

/** A promise and the functions that settle it. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls `check` every 5 ms until it is true; fails after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A clock a test moves by hand (epoch ms). */
export function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A log sink that records warnings. */
export function recordingLogger(): { warn: (message: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message) => void lines.push(message) };
}
