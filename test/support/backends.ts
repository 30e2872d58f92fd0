/**
 * The Redis-plus-stores setup the e2e suites share: one redis-server per spec file, stores on
 * memory and on that server, and everything a test opens closed after it.
 *
 *   const redis = useRedisServer(); // at the top of the spec file: registers the hooks
 *
 *   describe.each(redis.moduleOptions({ keyPrefix: 'app:' }))('thing on %s', (_name, options) => {
 *     beforeEach(() => redis.flush());
 *     it('...', async () => {
 *       const app = redis.closeAfterTest(await boot(options())); // closed in afterEach
 *     });
 *   });
 *
 * Hooks: beforeAll starts the server; afterEach closes what `closeAfterTest` (and `stores`,
 * `redisStore`) collected; afterAll closes what `closeAfterSuite` (and `suiteStores`) collected,
 * then stops every server the harness started (stopAll). More servers, a Cluster or a Sentinel
 * set: start them with ./redis-servers.ts as usual; afterAll stops them too.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import {
  createMemoryStore,
  createRedisStore,
  type KvsModuleOptions,
  type KvsStore,
  type MemoryStoreOptions,
  type RedisStoreOptions,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer, type StartRedisOptions } from './redis-servers.js';

/** The backends every adapter behaviour is checked on. */
export type BackendName = 'memory' | 'redis';
export const BACKEND_NAMES: BackendName[] = ['memory', 'redis'];

/** `[backend, make]` rows for describe.each / it.each; call `make` in a hook or a test. */
export type BackendTable<T> = [BackendName, () => T][];

export interface Closable {
  close(): Promise<void>;
}

/** Redis store options but the URL, which is the suite's server. */
export type RedisExtras = Omit<RedisStoreOptions, 'url'>;

export interface UseRedisServerOptions {
  /** Options of the suite's redis-server (startRedis). */
  server?: StartRedisOptions;
  /** Timeout of the beforeAll / afterAll hooks. Default 30 s. */
  hookTimeoutMs?: number;
}

export interface RedisSuite {
  /** The suite's redis-server (started in beforeAll: read it in hooks and tests). */
  readonly server: RedisServer;
  /** Closes `closable` after the current test; returns it. */
  closeAfterTest<T extends Closable>(closable: T): T;
  /** Closes `closable` after the last test of the file, before the servers stop; returns it. */
  closeAfterSuite<T extends Closable>(closable: T): T;
  /** FLUSHALL on the suite's server. */
  flush(): Promise<void>;
  /** `KvsModule.forRoot` options: the memory store, and a Redis store on the suite's server. */
  moduleOptions(redis?: RedisExtras): BackendTable<KvsModuleOptions>;
  /** A fresh store on each backend per call, closed after the test. */
  stores(options?: {
    memory?: MemoryStoreOptions;
    redis?: RedisExtras | (() => RedisExtras);
  }): BackendTable<Promise<KvsStore>>;
  /** A fresh Redis store on the suite's server, closed after the test. */
  redisStore(redis?: RedisExtras): Promise<KvsStore>;
  /**
   * One store per backend for the whole file: made in a beforeAll this call registers (so call
   * it where hooks may be declared), closed after the last test.
   */
  suiteStores(redis?: RedisExtras): Record<BackendName, KvsStore>;
}

/** Starts one redis-server for the spec file (or describe block) it is called in. */
export function useRedisServer(options: UseRedisServerOptions = {}): RedisSuite {
  const timeout = options.hookTimeoutMs ?? 30_000;
  let started: RedisServer | undefined;
  const afterTest: Closable[] = [];
  const afterSuite: Closable[] = [];
  const closeAll = async (list: Closable[]) => {
    await Promise.all(list.splice(0).map((c) => c.close()));
  };

  beforeAll(async () => {
    started = await startRedis(options.server);
  }, timeout);
  afterEach(() => closeAll(afterTest));
  afterAll(async () => {
    await closeAll(afterSuite);
    await stopAll();
  }, timeout);

  const suite: RedisSuite = {
    get server(): RedisServer {
      if (started === undefined)
        throw new Error(
          'useRedisServer(): the server starts in beforeAll; read it in a hook or test',
        );
      return started;
    },
    closeAfterTest(closable) {
      afterTest.push(closable);
      return closable;
    },
    closeAfterSuite(closable) {
      afterSuite.push(closable);
      return closable;
    },
    async flush() {
      await suite.server.cli('FLUSHALL');
    },
    moduleOptions(redis = {}) {
      return [
        ['memory', () => ({ type: 'memory' })],
        ['redis', () => ({ type: 'redis', url: suite.server.url, ...redis })],
      ];
    },
    stores({ memory, redis } = {}) {
      return [
        ['memory', async () => suite.closeAfterTest(createMemoryStore(memory))],
        ['redis', () => suite.redisStore(typeof redis === 'function' ? redis() : redis)],
      ];
    },
    async redisStore(redis = {}) {
      return suite.closeAfterTest(await createRedisStore({ url: suite.server.url, ...redis }));
    },
    suiteStores(redis = {}) {
      const stores = {} as Record<BackendName, KvsStore>;
      beforeAll(async () => {
        stores.memory = suite.closeAfterSuite(createMemoryStore());
        stores.redis = suite.closeAfterSuite(
          await createRedisStore({ url: suite.server.url, ...redis }),
        );
      }, timeout);
      return stores;
    },
  };
  return suite;
}
