/**
 * KvsModule end to end: real Nest applications over real stores (memory, and a redis-server this
 * suite starts), no mocks. Each scenario declares its own tiny app module.
 */
import {
  ConsoleLogger,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type INestApplicationContext,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { once } from 'node:events';
import { inspect } from 'node:util';
import {
  getKvsToken,
  InjectKvs,
  KVS_STORE,
  KvsClosedError,
  KvsConnectionError,
  KvsHandshakeError,
  KvsInvalidArgumentError,
  KvsModule,
  MemoryStore,
  RedisStore,
  type KvsModuleOptions,
  type KvsOptionsFactory,
} from '../lib/index.js';
import type { KvsStore } from '../lib/index.js';
import { freePort, startRedis, stopAll, type RedisServer } from './support/redis-servers.js';

let server: RedisServer;
let direct: Redis;
const open: INestApplicationContext[] = [];

beforeAll(async () => {
  server = await startRedis();
  direct = new Redis(server.url);
}, 30_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await direct.quit();
  await stopAll();
}, 30_000);

/** Compiles and initialises an app around `imports`; closed after the test. */
async function boot(imports: Parameters<typeof Test.createTestingModule>[0]['imports']) {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication();
  open.push(app);
  await app.init();
  return app;
}

/** Compiles an app that is expected to fail, and returns why. */
async function failure(
  imports: Parameters<typeof Test.createTestingModule>[0]['imports'],
): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({ imports }).compile();
    open.push(moduleRef);
  } catch (err) {
    return err;
  }
  throw new Error('expected the application to fail to start');
}

const bytes = (text: string) => Buffer.from(text);

/** Stands in for @nestjs/config: a provider other modules read settings from. */
@Injectable()
class AppConfig {
  readonly redisUrl = server.url;
  readonly keyPrefix = 'from-config:';
}

@Injectable()
class KvsConfigService implements KvsOptionsFactory {
  constructor(private readonly config: AppConfig) {}

  createKvsOptions(): KvsModuleOptions {
    return { type: 'redis', url: this.config.redisUrl, keyPrefix: 'existing:' };
  }
}

@Module({ providers: [AppConfig, KvsConfigService], exports: [AppConfig, KvsConfigService] })
class ConfigModule {}

describe('KvsModule.forRoot', () => {
  it('registers an in-process memory store under KVS_STORE by default', async () => {
    @Injectable()
    class Counter {
      constructor(@InjectKvs() readonly store: KvsStore) {}
    }
    @Module({ imports: [KvsModule.forRoot()], providers: [Counter] })
    class AppModule {}

    const app = await boot([AppModule]);
    const { store } = app.get(Counter);
    expect(store).toBeInstanceOf(MemoryStore);
    expect(app.get(KVS_STORE)).toBe(store);
    expect(getKvsToken()).toBe('KVS_STORE');
    expect(await store.increment('hits')).toBe(1);
    expect(await store.increment('hits')).toBe(2);
  });

  it('passes memory options through to the store', async () => {
    const app = await boot([KvsModule.forRoot({ type: 'memory', maxEntries: 1 })]);
    const store = app.get<KvsStore>(KVS_STORE);
    await store.set('a', bytes('1'));
    await store.set('b', bytes('2'));
    expect(await store.list()).toEqual(['b']);
  });

  it('registers a Redis store that talks to the server', async () => {
    const app = await boot([
      KvsModule.forRoot({ type: 'redis', url: server.url, keyPrefix: 'root:' }),
    ]);
    const store = app.get<KvsStore>(KVS_STORE);
    expect(store).toBeInstanceOf(RedisStore);
    await store.set('greeting', bytes('hello'));
    expect(await direct.get('root:greeting')).toBe('hello');
    expect((await store.get('greeting')).toString()).toBe('hello');
  });
});

describe('KvsModule.forRootAsync', () => {
  it('takes options from useFactory with providers of an imported config module', async () => {
    const app = await boot([
      KvsModule.forRootAsync({
        imports: [ConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig): KvsModuleOptions => ({
          type: 'redis',
          url: config.redisUrl,
          keyPrefix: config.keyPrefix,
        }),
      }),
    ]);
    const store = app.get<KvsStore>(KVS_STORE);
    await store.set('factory', bytes('yes'));
    expect(await direct.get('from-config:factory')).toBe('yes');
  });

  it('accepts an async useFactory', async () => {
    const app = await boot([
      KvsModule.forRootAsync({ useFactory: async () => ({ type: 'memory' as const }) }),
    ]);
    expect(app.get(KVS_STORE)).toBeInstanceOf(MemoryStore);
  });

  it('takes options from a useClass factory', async () => {
    @Injectable()
    class SmallCache implements KvsOptionsFactory {
      createKvsOptions(): KvsModuleOptions {
        return { type: 'memory', maxEntries: 2 };
      }
    }
    const app = await boot([KvsModule.forRootAsync({ useClass: SmallCache })]);
    const store = app.get<KvsStore>(KVS_STORE);
    for (const key of ['a', 'b', 'c']) await store.set(key, bytes(key));
    expect(await store.list()).toEqual(['b', 'c']);
  });

  it('takes options from an existing provider (useExisting)', async () => {
    const app = await boot([
      KvsModule.forRootAsync({ imports: [ConfigModule], useExisting: KvsConfigService }),
    ]);
    const store = app.get<KvsStore>(KVS_STORE);
    await store.set('existing', bytes('yes'));
    expect(await direct.get('existing:existing')).toBe('yes');
  });
});

describe('named stores', () => {
  @Injectable()
  class Both {
    constructor(
      @InjectKvs('sessions') readonly sessions: KvsStore,
      @InjectKvs('cache') readonly cache: KvsStore,
    ) {}
  }

  it('injects several stores side by side, each with its own data', async () => {
    @Module({
      imports: [
        KvsModule.forRoot({ type: 'memory', name: 'sessions' }),
        KvsModule.forRootAsync({
          name: 'cache',
          useFactory: () => ({ type: 'redis', url: server.url, keyPrefix: 'cache:' }),
        }),
      ],
      providers: [Both],
    })
    class AppModule {}

    const app = await boot([AppModule]);
    const { sessions, cache } = app.get(Both);
    expect(getKvsToken('sessions')).toBe('KVS_STORE:sessions');
    expect(app.get(getKvsToken('sessions'))).toBe(sessions);
    expect(app.get(getKvsToken('cache'))).toBe(cache);
    expect(sessions).toBeInstanceOf(MemoryStore);
    expect(cache).toBeInstanceOf(RedisStore);

    await sessions.set('user', bytes('ada'));
    await cache.set('user', bytes('cached'));
    expect((await sessions.get('user')).toString()).toBe('ada');
    expect((await cache.get('user')).toString()).toBe('cached');
    await sessions.delete('user');
    expect(await cache.has('user')).toBe(true);
    expect(() => app.get(KVS_STORE)).toThrow();
  });

  it('rejects a second registration of the same name in one application', async () => {
    @Module({ imports: [KvsModule.forRoot({ type: 'memory', name: 'sessions' })] })
    class SessionsModule {}
    @Module({
      imports: [
        KvsModule.forRootAsync({ name: 'sessions', useFactory: () => ({ type: 'memory' }) }),
      ],
    })
    class OtherModule {}

    const err = await failure([SessionsModule, OtherModule]);
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as Error).message).toMatch(/the store named "sessions" twice/);
  });

  it('rejects two default stores in one application', async () => {
    @Module({ imports: [KvsModule.forRoot()] })
    class A {}
    @Module({ imports: [KvsModule.forRoot()] })
    class B {}

    const err = await failure([A, B]);
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as Error).message).toMatch(/the default store twice/);
  });

  it('lets separate applications each register the same name', async () => {
    const first = await boot([KvsModule.forRoot({ type: 'memory', name: 'sessions' })]);
    const second = await boot([KvsModule.forRoot({ type: 'memory', name: 'sessions' })]);
    expect(first.get(getKvsToken('sessions'))).not.toBe(second.get(getKvsToken('sessions')));
  });
});

describe('isGlobal', () => {
  @Injectable()
  class NeedsStore {
    constructor(@InjectKvs('shared') readonly store: KvsStore) {}
  }
  @Module({ providers: [NeedsStore] })
  class FeatureModule {}

  it('makes the store injectable in a module that does not import KvsModule', async () => {
    const app = await boot([
      KvsModule.forRootAsync({
        name: 'shared',
        isGlobal: true,
        useFactory: () => ({ type: 'memory' }),
      }),
      FeatureModule,
    ]);
    expect(app.get(NeedsStore).store).toBe(app.get(getKvsToken('shared')));
  });

  it('works with forRoot too', async () => {
    const app = await boot([
      KvsModule.forRoot({ type: 'memory', name: 'shared', isGlobal: true }),
      FeatureModule,
    ]);
    expect(app.get(NeedsStore).store).toBeInstanceOf(MemoryStore);
  });

  it('without it, a module that does not import KvsModule cannot resolve the store', async () => {
    const err = await failure([
      KvsModule.forRoot({ type: 'memory', name: 'shared' }),
      FeatureModule,
    ]);
    expect((err as Error).message).toMatch(/KVS_STORE:shared/);
  });
});

describe('shutdown', () => {
  it('closes the stores it created and leaves a client you passed connected', async () => {
    const client = new Redis(server.url);
    try {
      const seen: string[] = [];
      @Injectable()
      class LastWords implements OnModuleDestroy, BeforeApplicationShutdown {
        constructor(
          @InjectKvs() private readonly owned: KvsStore,
          @InjectKvs('wrapped') private readonly wrapped: KvsStore,
          @InjectKvs('memory') private readonly memory: KvsStore,
        ) {}
        async onModuleDestroy() {
          await this.owned.set('destroy', bytes('1'));
          seen.push('onModuleDestroy');
        }
        async beforeApplicationShutdown() {
          await Promise.all([this.owned.ping(), this.wrapped.ping(), this.memory.ping()]);
          seen.push('beforeApplicationShutdown');
        }
      }
      @Module({
        imports: [
          KvsModule.forRoot({ type: 'redis', url: server.url }),
          KvsModule.forRoot({ type: 'redis', name: 'wrapped', client }),
          KvsModule.forRoot({ type: 'memory', name: 'memory' }),
        ],
        providers: [LastWords],
      })
      class AppModule {}

      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = moduleRef.createNestApplication();
      await app.init();
      const owned = app.get<RedisStore>(KVS_STORE);
      const wrapped = app.get<RedisStore>(getKvsToken('wrapped'));
      const memory = app.get<KvsStore>(getKvsToken('memory'));
      expect(wrapped.clients[0]).toBe(client);

      await app.close();

      expect(seen).toEqual(['onModuleDestroy', 'beforeApplicationShutdown']);
      expect(await direct.get('destroy')).toBe('1');
      for (const store of [owned, wrapped, memory]) {
        await expect(store.get('destroy')).rejects.toBeInstanceOf(KvsClosedError);
        await expect(store.ping()).rejects.toMatchObject({ code: 'KVS_CLOSED' });
      }
      const connection = owned.clients[0]!;
      if (connection.status !== 'end') await once(connection, 'end');
      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
    } finally {
      await client.quit();
    }
  });
});

describe('invalid configuration', () => {
  it('rejects an unknown type in forRoot, naming the allowed values', () => {
    const call = () => KvsModule.forRoot({ type: 'postgres' } as unknown as KvsModuleOptions);
    expect(call).toThrow(KvsInvalidArgumentError);
    expect(call).toThrow(
      `Invalid KvsModule option type: expected one of 'memory', 'redis', got a string (8 chars).`,
    );
  });

  it('rejects an unknown type returned by an async factory when the app starts', async () => {
    const err = await failure([
      KvsModule.forRootAsync({
        useFactory: () => ({ type: 'mongo' }) as unknown as KvsModuleOptions,
      }),
    ]);
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as Error).message).toMatch(
      /expected one of 'memory', 'redis', got a string \(5 chars\)/,
    );
  });

  it('rejects a missing type and non-object options', async () => {
    expect(() => KvsModule.forRoot({} as KvsModuleOptions)).toThrow(/got undefined/);
    const err = await failure([
      KvsModule.forRootAsync({ useFactory: () => null as unknown as KvsModuleOptions }),
    ]);
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as Error).message).toMatch(/expected an object such as \{ type: 'memory' \}/);
  });

  it('rejects forRootAsync without exactly one options source, and an empty name', () => {
    expect(() => KvsModule.forRootAsync({})).toThrow(
      /exactly one of useFactory, useClass or useExisting, got none/,
    );
    expect(() => KvsModule.forRoot({ type: 'memory', name: '' })).toThrow(KvsInvalidArgumentError);
    expect(() => InjectKvs('')).toThrow(/non-empty string/);
  });

  it('passes Redis option errors through', async () => {
    const err = await failure([KvsModule.forRoot({ type: 'redis' })]);
    expect(err).toBeInstanceOf(KvsInvalidArgumentError);
    expect((err as Error).message).toMatch(/one of url, cluster, sentinel or client/);
  });
});

describe('Redis unreachable at startup', () => {
  it('makes module initialisation reject with KvsConnectionError', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await failure([
      KvsModule.forRoot({ type: 'redis', url: `redis://127.0.0.1:${port}`, connectTimeout: 300 }),
    ]);
    expect(err).toBeInstanceOf(KvsConnectionError);
    expect(err).toMatchObject({ code: 'KVS_CONNECTION' });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('Redis refuses the connection handshake at startup', () => {
  let secured: RedisServer;
  beforeAll(async () => {
    secured = await startRedis({ password: 'RightPass' });
  });

  it('fails with an error that holds the password nowhere, nor does what onError got', async () => {
    const reported: unknown[] = [];
    const err = await failure([
      KvsModule.forRoot({
        type: 'redis',
        url: `redis://:WrongPass@127.0.0.1:${secured.port}`,
        onError: (e) => reported.push(e),
      }),
    ]);
    expect(err).toBeInstanceOf(KvsHandshakeError);
    expect((err as Error).message).toMatch(/WRONGPASS/);
    // What Nest's startup handler prints: the whole object, causes included.
    for (const e of [err, ...reported]) {
      expect(inspect(e, { depth: Infinity, showHidden: true })).not.toContain('WrongPass');
    }
  });

  it('fails on a database the server does not have, instead of using database 0', async () => {
    const err = await failure([
      KvsModule.forRoot({ type: 'redis', url: `redis://:RightPass@127.0.0.1:${secured.port}/99` }),
    ]);
    expect(err).toBeInstanceOf(KvsHandshakeError);
    expect(err).toMatchObject({ code: 'KVS_CONNECTION', step: 'SELECT' });
    expect(await secured.cli('DBSIZE')).toBe('0');
  });
});

describe('Redis lost while the app runs', () => {
  it('logs the connection problem once per cause and interval, without the password', async () => {
    const lines: string[] = [];
    const capture = { log() {}, error() {}, warn: (m: unknown) => void lines.push(String(m)) };
    const own = await startRedis({ password: 'pw-that-must-not-leak' });
    try {
      await boot([KvsModule.forRoot({ type: 'redis', url: own.url, name: 'logged' })]);
      // After compile(): @nestjs/testing installs its own logger while compiling.
      Logger.overrideLogger(capture);
      await own.kill();
      await waitFor(() => lines.length > 0);
      // ioredis retries the connection many times a second; the log holds them back.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Redis connection problem/);
      expect(lines.join('\n')).not.toContain('pw-that-must-not-leak');
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
      await own.stop();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
