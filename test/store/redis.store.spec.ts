import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { createRedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { freePort, startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { describeStoreConformance, rejectsWith } from './store.conformance.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis({ unixSocket: true });
});
afterAll(async () => {
  await stopAll();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const realTime = { advance: sleep };

describeStoreConformance('redis', {
  ...realTime,
  create: async () => {
    await server.cli('FLUSHALL');
    return createRedisStore({ url: server.url });
  },
});

/** A prefix full of glob characters, next to keys that an unescaped pattern would match. */
const GLOB_PREFIX = 'app*?[x]\\:';
describeStoreConformance('redis with keyPrefix', {
  ...realTime,
  create: async () => {
    await server.cli('FLUSHALL');
    for (const foreign of ['appZ?x\\:user:9', 'app*?x\\:user:9', 'appXYx]:user:1', 'other']) {
      await server.cli('SET', foreign, 'foreign');
    }
    return createRedisStore({ url: server.url, keyPrefix: GLOB_PREFIX, poolSize: 2 });
  },
});

describe('redis store', () => {
  const url = () => server.url;

  it('stores keys under keyPrefix and lists them without it', async () => {
    await server.cli('FLUSHALL');
    const store = await createRedisStore({ url: url(), keyPrefix: 'tenant-a:' });
    await store.set('user:1', Buffer.from('v'));
    expect(await server.cli('GET', 'tenant-a:user:1')).toBe('v');
    await server.cli('SET', 'tenant-b:user:2', 'x');
    expect(await store.list()).toEqual(['user:1']);
    await store.close();
  });

  it('connects through a unix socket and selects the database from the URL', async () => {
    const store = await createRedisStore({ url: `unix://${server.socketPath!}?db=3` });
    await store.set('in-db-3', Buffer.from('v'));
    expect(await server.cli('EXISTS', 'in-db-3')).toBe('0');
    const db3 = await createRedisStore({ url: `${server.url}/3` });
    expect((await db3.get('in-db-3')).toString()).toBe('v');
    await Promise.all([store.close(), db3.close()]);
  });

  it('rejects KvsConnectionError promptly when nothing listens, leaking no socket', async () => {
    const port = await freePort();
    const before = countSockets();
    const started = Date.now();
    const err = await rejectsWith(
      createRedisStore({ url: `redis://:s3cret-pw@127.0.0.1:${port}`, connectTimeout: 1000 }),
      'KVS_CONNECTION',
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(err.message).not.toContain('s3cret-pw');
    await sleep(50);
    expect(countSockets()).toBeLessThanOrEqual(before);
  });

  it('rejects within connectTimeout when the server accepts but never answers', async () => {
    const silent = await listenSilently();
    const started = Date.now();
    await rejectsWith(
      createRedisStore({ url: `redis://127.0.0.1:${silent.port}`, connectTimeout: 300 }),
      'KVS_CONNECTION',
    );
    expect(Date.now() - started).toBeLessThan(2500);
    await silent.peerClosed; // the store hung up: no connection left behind
    await silent.close();
  });

  it('never shows a password from the URL in errors', async () => {
    const secured = await startRedis({
      password: 'right-pw',
      aclUser: { name: 'app', password: 'app-pw' },
    });
    const err = await rejectsWith(
      createRedisStore({
        url: `redis://app:wrong-pw@127.0.0.1:${secured.port}`,
        connectTimeout: 2000,
      }),
      'KVS_CONNECTION',
    );
    expect(err.message).not.toContain('wrong-pw');
    expect(String(err)).not.toContain('wrong-pw');
    const store = await createRedisStore({ url: `redis://app:app-pw@127.0.0.1:${secured.port}` });
    await store.set('k', Buffer.from('v'));
    expect(String(store)).not.toContain('app-pw');
    expect(store.target).toBe(`redis://app:***@127.0.0.1:${secured.port}`);
    await store.close();
    await secured.stop();
  });

  it('rejects bad configuration with KvsInvalidArgumentError before connecting', async () => {
    const bad: RedisStoreOptions[] = [
      {},
      { url: 'http://localhost:6379' },
      { url: 'redis://localhost:6379/abc' },
      { url: 'not a url' },
      { url: url(), poolSize: 0 },
      { url: url(), connectTimeout: -5 },
      { url: url(), keyPrefix: 5 as unknown as string },
      { url: url(), keyPrefix: 'tenant-\uD800:' }, // a lone surrogate: Redis would store U+FFFD
      { url: url(), client: {} as Redis },
    ];
    for (const options of bad) await rejectsWith(createRedisStore(options), 'KVS_INVALID_ARGUMENT');
    const err = await rejectsWith(
      createRedisStore({ url: 'ftp://u:hidden@h' }),
      'KVS_INVALID_ARGUMENT',
    );
    expect(err.message).not.toContain('hidden');
  });

  it('wraps a client you pass and never closes it', async () => {
    const client = new Redis(url());
    const store = await createRedisStore({ client, keyPrefix: 'wrapped:' });
    await store.set('k', Buffer.from('v'));
    await store.close();
    expect(client.status).toBe('ready');
    expect(await client.get('wrapped:k')).toBe('v');
    await client.quit();
  });

  it('runs its scripts again after SCRIPT FLUSH', async () => {
    const store = await createRedisStore({ url: url() });
    expect(await store.increment('flush-n')).toBe(1);
    await server.cli('SCRIPT', 'FLUSH');
    expect(await store.increment('flush-n')).toBe(2);
    expect(await store.deleteIfEquals('flush-n', Buffer.from('2'))).toBe(true);
    await store.close();
  });

  it('bounds every command by commandTimeout while the server is paused', async () => {
    const store = await createRedisStore({ url: url(), commandTimeout: 200 });
    await server.cli('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    const err = await rejectsWith(store.get('k'), 'KVS_CONNECTION');
    expect(err.message).toMatch(/within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1400);
    await server.cli('CLIENT', 'UNPAUSE');
    await store.close();
  });

  it('fails fast while the server is down and recovers by itself after a restart', async () => {
    const own = await startRedis();
    const store = await createRedisStore({ url: own.url, commandTimeout: 500 });
    await store.set('k', Buffer.from('v'));
    await own.kill();
    const started = Date.now();
    await rejectsWith(store.get('k'), 'KVS_CONNECTION');
    expect(Date.now() - started).toBeLessThan(1000);
    await own.restart();
    const deadline = Date.now() + 10_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      recovered = await store.set('k2', Buffer.from('v')).then(
        () => true,
        () => sleep(50).then(() => false),
      );
    }
    expect(recovered).toBe(true);
    await store.close();
    await own.stop();
  });
});

function countSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** A TCP server that accepts a connection and never answers; tells when the client hangs up. */
async function listenSilently() {
  let hungUp!: () => void;
  const peerClosed = new Promise<void>((resolve) => (hungUp = resolve));
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket
      .on('close', hungUp)
      .on('error', () => undefined)
      .resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    peerClosed,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
