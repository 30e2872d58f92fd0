/**
 * Options that escape TypeScript (a variable, plain JavaScript) are checked at runtime: an unknown
 * key fails with a "did you mean", an option of the other backend says so, and every store says
 * at startup which backend and target it uses, without a secret.
 */
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  createMemoryStore,
  createRedisStore,
  isKvsError,
  KvsModule,
  type KvsModuleOptions,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { rejected } from '../support/thrown.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedis({ password: 'pw-startup-line' });
}, 30_000);

afterAll(async () => {
  await stopAll();
}, 30_000);

/** Options typed loosely, as from a config file or plain JavaScript. */
const loose = (options: Record<string, unknown>) => options as unknown as KvsModuleOptions;

describe('unknown option keys', () => {
  it('rejects a misspelt memory store option, suggesting the right one', async () => {
    const err = await rejected(() => createMemoryStore(loose({ maxEntires: 10 }) as never));
    expect(isKvsError(err, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect(err.message).toMatch(/Unknown option 'maxEntires' in the memory store options/);
    expect(err.message).toMatch(/Did you mean 'maxEntries'\?/);
  });

  it('rejects a misspelt Redis store option before connecting, suggesting the right one', async () => {
    const err = await rejected(() =>
      createRedisStore(loose({ url: server.url, keyprefix: 'app:' }) as never),
    );
    expect(isKvsError(err, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect(err.message).toMatch(/Unknown option 'keyprefix'.*Did you mean 'keyPrefix'\?/);
    expect(err.message).not.toContain('pw-startup-line');
  });

  it('checks the keys inside sentinel and cluster too', async () => {
    const err = await rejected(() =>
      createRedisStore({
        sentinel: { sentinels: [{ host: '127.0.0.1', port: 1 }], name: 'm', pasword: 'x' },
      } as never),
    );
    expect(err.message).toMatch(/Unknown option 'pasword' in the Redis option sentinel/);
    expect(err.message).toMatch(/Did you mean 'password'\?/);
    const cluster = await rejected(() =>
      createRedisStore({ cluster: { node: [server.url] } } as never),
    );
    expect(cluster.message).toMatch(/Unknown option 'node'.*Did you mean 'nodes'\?/);
  });

  it.each([
    [
      'memory',
      loose({ type: 'memory', url: 'redis://localhost:6379' }),
      /'url' is an option of the redis store: use type: 'redis'/,
    ],
    [
      'redis',
      loose({ type: 'redis', url: 'redis://localhost:1', maxEntries: 5 }),
      /'maxEntries' is an option of the memory store: use type: 'memory'/,
    ],
    [
      'redis',
      loose({ type: 'redis', url: 'redis://localhost:1', keyprefix: 'a:' }),
      /Unknown option 'keyprefix' in KvsModule options of type 'redis'.*Did you mean 'keyPrefix'\?/,
    ],
  ])(
    'fails KvsModule startup (type %s) naming the option and the fix',
    async (_type, options, message) => {
      const err = await rejected(async () => {
        const ref = await Test.createTestingModule({
          imports: [KvsModule.forRoot(options)],
        }).compile();
        await ref.close();
      });
      expect(isKvsError(err, 'KVS_INVALID_ARGUMENT')).toBe(true);
      expect(err.message).toMatch(message);
    },
  );
});

describe('the startup line of each store', () => {
  it('names the token, backend, target and keyPrefix, and no password', async () => {
    const lines: string[] = [];
    const capture: LoggerService = {
      log: (m: unknown, context?: unknown) => void lines.push(`[${String(context)}] ${String(m)}`),
      error() {},
      warn() {},
    };
    const ref = await Test.createTestingModule({
      imports: [
        KvsModule.forRoot({ type: 'memory' }),
        KvsModule.forRoot({ type: 'redis', url: server.url, keyPrefix: 'app:', name: 'shared' }),
      ],
    })
      .setLogger(capture)
      .compile();
    try {
      const stores = lines.filter((l) => l.includes(' ready: '));
      expect(stores).toHaveLength(2);
      expect(stores).toContainEqual(
        '[KvsModule] Store KVS_STORE ready: memory (this process only).',
      );
      const redis = stores.find((l) => l.startsWith('[KvsModule:shared]'));
      expect(redis).toMatch(
        /^\[KvsModule:shared\] Store KVS_STORE:shared ready: redis at redis:\/\/.*127\.0\.0\.1:\d+.*, keyPrefix 'app:'\.$/,
      );
      expect(lines.join('\n')).not.toContain('pw-startup-line');
    } finally {
      await ref.close();
      Logger.overrideLogger(new ConsoleLogger());
    }
  });
});
