/**
 * The connection layer of the Redis store on real servers: a failed connection handshake (SELECT,
 * AUTH) fails the store and keeps every command off that connection, also after a reconnect; and
 * the errors say what happened in the user's terms.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  createRedisStore,
  defineScript,
  isKvsError,
  KvsBackendError,
  KvsConnectionError,
  KvsHandshakeError,
  type KvsError,
} from '../../lib/index.js';
import { freePort, startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
import { rejectsWith } from './store.conformance.js';

let server: RedisServer;
beforeAll(async () => {
  // The harness signs in as the default user; the stores under test as `svc`.
  server = await startRedis({ password: 'AdminPw', aclUser: { name: 'svc', password: 'SvcPw' } });
});
afterAll(async () => {
  await stopAll();
});

const svcUrl = (db = 0) => `redis://svc:SvcPw@127.0.0.1:${server.port}/${db}`;

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('connection handshake', () => {
  it('rejects a database the server does not have, and writes nothing to database 0', async () => {
    await server.cli('FLUSHALL');
    const reported: KvsError[] = [];
    const started = Date.now();
    const err = await rejectsWith(
      createRedisStore({ url: svcUrl(99), onError: (e) => reported.push(e) }),
      'KVS_CONNECTION',
    );
    expect(err).toBeInstanceOf(KvsHandshakeError);
    expect(err).toBeInstanceOf(KvsConnectionError);
    expect((err as KvsHandshakeError).step).toBe('SELECT');
    expect(err.message).toMatch(/SELECT/);
    expect(err.message).toMatch(/DB index is out of range/);
    expect(err.message).toMatch(/databases/); // the fix: a database the server has
    expect(err.message).not.toMatch(/within \d+ ms/); // it failed at once; it did not time out
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await server.cli('DBSIZE')).toBe('0');
  });

  it('never runs a command on a connection whose SELECT failed after a reconnect', async () => {
    await server.cli('FLUSHALL');
    const reported: KvsError[] = [];
    const store = await createRedisStore({ url: svcUrl(3), onError: (e) => reported.push(e) });
    try {
      await store.set('before', Buffer.from('v'));
      await server.cli('ACL', 'SETUSER', 'svc', '-select');
      await server.cli('CLIENT', 'KILL', 'USER', 'svc');
      await waitFor(() => reported.some((e) => e instanceof KvsHandshakeError));
      // Reconnects keep failing SELECT; every command in that time fails typed, none runs.
      const until = Date.now() + 600;
      let attempts = 0;
      while (Date.now() < until) {
        const err = await rejectsWith(
          store.set(`after-${attempts++}`, Buffer.from('x')),
          'KVS_CONNECTION',
        );
        expect(err).toBeInstanceOf(KvsHandshakeError);
        expect(err.message).toMatch(/SELECT/);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(attempts).toBeGreaterThan(3);
      expect(await server.cli('DBSIZE')).toBe('0'); // database 0 got nothing
      expect(await server.pipeline(['SELECT', '3'], ['DBSIZE'])).toEqual(['OK', '1']);
      // Once SELECT is allowed again, the store is back by itself, on database 3.
      await server.cli('ACL', 'SETUSER', 'svc', '+select');
      const deadline = Date.now() + 10_000;
      let back = false;
      while (!back && Date.now() < deadline) {
        back = await store.set('back', Buffer.from('v')).then(
          () => true,
          () => new Promise((resolve) => setTimeout(resolve, 50)).then(() => false),
        );
      }
      expect(back).toBe(true);
      expect(await server.pipeline(['SELECT', '3'], ['EXISTS', 'back'])).toEqual(['OK', '1']);
      expect(await server.cli('DBSIZE')).toBe('0');
    } finally {
      await server.cli('ACL', 'SETUSER', 'svc', '+select');
      await store.close();
    }
  });

  it('fails commands typed, naming AUTH, when the password stops working after a reconnect', async () => {
    const reported: KvsError[] = [];
    const store = await createRedisStore({ url: svcUrl(), onError: (e) => reported.push(e) });
    try {
      await server.cli('ACL', 'SETUSER', 'svc', 'resetpass', '>Changed');
      await server.cli('CLIENT', 'KILL', 'USER', 'svc');
      await waitFor(() => reported.some((e) => e instanceof KvsHandshakeError));
      const err = await rejectsWith(store.get('k'), 'KVS_CONNECTION');
      expect(err).toBeInstanceOf(KvsHandshakeError);
      expect(err.message).toMatch(/WRONGPASS/);
      expect(err.message).toMatch(/password/);
    } finally {
      await server.cli('ACL', 'SETUSER', 'svc', 'resetpass', '>SvcPw');
      await store.close();
    }
  });
});

describe('error texts', () => {
  it('says a refused connection was refused, not that it timed out', async () => {
    const port = await freePort();
    const err = await rejectsWith(
      createRedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeout: 5000 }),
      'KVS_CONNECTION',
    );
    expect(err.message).toMatch(/refused/);
    expect(err.message).not.toMatch(/within 5000 ms/);
  });

  it('says a timeout was a timeout', async () => {
    // Accepts connections and never answers.
    const silent = createServer((socket) => void socket.on('error', () => undefined).resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const err = await rejectsWith(
        createRedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeout: 300 }),
        'KVS_CONNECTION',
      );
      expect(err.message).toMatch(/no answer within 300 ms \(connectTimeout\)/);
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("speaks of the outage, not of ioredis's offline queue", async () => {
    const own = await startRedis();
    const store = await createRedisStore({ url: own.url });
    try {
      await own.kill();
      await waitFor(() => store.clients[0]!.status !== 'ready');
      const err = await rejectsWith(store.get('k'), 'KVS_CONNECTION');
      expect(err.message).toMatch(/not connected to Redis; reconnecting/);
      const everything = inspect(err, { depth: Infinity, showHidden: true });
      expect(everything).not.toMatch(/enableOfflineQueue/);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it('gives an error reply of Redis a documented code, KVS_BACKEND', async () => {
    const store = await createRedisStore({ url: svcUrl() });
    try {
      const failing = defineScript("return redis.error_reply('MYERR something broke')");
      const err = await rejectsWith(store.evalScript(failing, ['k'], []), 'KVS_BACKEND');
      expect(err).toBeInstanceOf(KvsBackendError);
      expect(isKvsError(err)).toBe(true);
      expect(err.message).toMatch(/MYERR something broke/);
    } finally {
      await store.close();
    }
  });
});
