/**
 * Security properties of the Redis store: tenants under different key prefixes cannot see each
 * other's keys whatever glob characters the prefixes hold, credentials never leak into messages,
 * and TLS and ACL users work.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import {
  createRedisStore,
  type KvsError,
  type RedisStore,
  type RedisStoreOptions,
} from '../../lib/index.js';
import {
  startCluster,
  startRedis,
  startSentinel,
  stopAll,
  type RedisServer,
} from '../support/redis-servers.js';
import { rejectsWith } from './store.conformance.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await stopAll();
});

/** Pairs of prefixes where an unescaped SCAN pattern of the first would match the second's keys. */
const PAIRS: [string, string][] = [
  ['t[ab]:', 'ta:'],
  ['*:', 'x:'],
  ['?:', 'q:'],
  ['t\\', 't*'],
  ['[^x]:', 'y:'],
];

describe('keyPrefix isolation', () => {
  it.each(PAIRS)('a store under %p never sees the keys of a store under %p', async (a, b) => {
    await server.cli('FLUSHALL');
    const [mine, theirs] = await Promise.all([
      createRedisStore({ url: server.url, keyPrefix: a }),
      createRedisStore({ url: server.url, keyPrefix: b }),
    ]);
    await theirs.set('secret', Buffer.from('theirs'));
    await mine.set('own', Buffer.from('mine'));
    for (const listPrefix of ['', '*', '?', '[', '\\', 's']) {
      expect((await mine.list(listPrefix)).every((key) => key === 'own')).toBe(true);
      for await (const key of mine.scan(listPrefix)) expect(key).toBe('own');
    }
    expect(await mine.tryGet('secret')).toBeUndefined();
    await mine.delete('secret');
    expect(await mine.deleteMany(['secret', 'own'])).toBe(1);
    expect((await theirs.get('secret')).toString()).toBe('theirs');
    await Promise.all([mine.close(), theirs.close()]);
  });
});

describe('credentials', () => {
  let secured: RedisServer;
  beforeAll(async () => {
    secured = await startRedis({ aclUser: { name: 'svc', password: 'p@ss:w/rd?' } });
  });

  it('connects as an ACL user whose password needs URL encoding', async () => {
    const url = `redis://svc:${encodeURIComponent('p@ss:w/rd?')}@127.0.0.1:${secured.port}`;
    const store = await createRedisStore({ url });
    await store.set('k', Buffer.from('v'));
    expect(await secured.cli('ACL', 'WHOAMI')).toBeDefined();
    expect(String(store)).not.toContain('rd?');
    await store.close();
  });

  it('never reports a password in errors, connection events or toString', async () => {
    const reported: KvsError[] = [];
    const password = 'hunter2-secret';
    const url = `redis://svc:${password}@127.0.0.1:${secured.port}`;
    const err = await rejectsWith(
      createRedisStore({ url, connectTimeout: 1500, onError: (e) => reported.push(e) }),
      'KVS_CONNECTION',
    );
    const texts = [err.message, String(err), err.stack ?? '', ...reported.map((e) => e.message)];
    for (const text of texts) expect(text).not.toContain(password);
    expect(err.message).toContain('svc:***@');
  });
});

/** Everything a logger could print of `value`: every property, every cause, every stack. */
const dump = (value: unknown) => inspect(value, { depth: Infinity, showHidden: true });

/**
 * Fails to create a store from `options` and checks that neither the error nor anything `onError`
 * received holds `secret`, wherever a logger that prints whole objects would look.
 */
async function expectStartupKeepsSecret(options: RedisStoreOptions, secret: string) {
  const reported: KvsError[] = [];
  const err = await rejectsWith(
    createRedisStore({ connectTimeout: 3000, ...options, onError: (e) => reported.push(e) }),
    'KVS_CONNECTION',
  );
  expect(dump(err)).not.toContain(secret);
  for (const e of reported) expect(dump(e)).not.toContain(secret);
  return { err, reported };
}

describe('no secret in any error object', () => {
  it('standalone: a wrong password, with and without a user name', async () => {
    const secured = await startRedis({
      password: 'RightPass',
      aclUser: { name: 'admin', password: 'AdminPass' },
    });
    for (const url of [
      `redis://:WrongPass@127.0.0.1:${secured.port}`,
      `redis://admin:WrongPass@127.0.0.1:${secured.port}`,
    ]) {
      const { err, reported } = await expectStartupKeepsSecret({ url }, 'WrongPass');
      expect(reported.length).toBeGreaterThan(0);
      expect(err.message).toMatch(/WRONGPASS/);
    }
    await secured.stop();
  });

  it('standalone: a password changed on the server while the store runs', async () => {
    // The harness itself signs in as the default user.
    const own = await startRedis({
      password: 'AdminPw',
      aclUser: { name: 'svc', password: 'OldPass' },
    });
    const reported: KvsError[] = [];
    const store = await createRedisStore({
      url: `redis://svc:OldPass@127.0.0.1:${own.port}`,
      onError: (e) => reported.push(e),
    });
    try {
      await store.set('k', Buffer.from('v'));
      await own.cli('ACL', 'SETUSER', 'svc', 'resetpass', '>NewPass');
      await own.cli('CLIENT', 'KILL', 'USER', 'svc');
      const deadline = Date.now() + 10_000;
      while (!reported.some((e) => /WRONGPASS/.test(e.message)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const failed = await rejectsWith(store.get('k'), 'KVS_CONNECTION');
      expect(reported.some((e) => /WRONGPASS/.test(e.message))).toBe(true);
      for (const e of [failed, ...reported]) expect(dump(e)).not.toContain('OldPass');
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it('Cluster: a wrong password in the node URLs', async () => {
    const cluster = await startCluster({ password: 'RightPass' });
    try {
      const nodes = cluster.startupNodes.map((n) => `redis://:WrongPass@${n.host}:${n.port}`);
      const { err } = await expectStartupKeepsSecret({ cluster: { nodes } }, 'WrongPass');
      expect(err.message).toMatch(/WRONGPASS/);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('Sentinel: a wrong master password, and a wrong password of the sentinels', async () => {
    const set = await startSentinel({ password: 'RightPass', sentinelPassword: 'SentinelPass' });
    try {
      const sentinel = { sentinels: set.sentinelAddresses, name: set.masterName };
      await expectStartupKeepsSecret(
        { sentinel: { ...sentinel, password: 'WrongPass', sentinelPassword: 'SentinelPass' } },
        'WrongPass',
      );
      const started = Date.now();
      const { err } = await expectStartupKeepsSecret(
        { sentinel: { ...sentinel, password: 'RightPass', sentinelPassword: 'WrongSentinel' } },
        'WrongSentinel',
      );
      expect(err.message).toMatch(/WRONGPASS/);
      // Wrong credentials are not worth waiting connectTimeout (3 s) for.
      expect(Date.now() - started).toBeLessThan(2500);
      const store = await createRedisStore({
        sentinel: { ...sentinel, password: 'RightPass', sentinelPassword: 'SentinelPass' },
      });
      await store.set('k', Buffer.from('v'));
      await store.close();
    } finally {
      await set.stop();
    }
  }, 60_000);
});

describe('TLS', () => {
  it('connects with rediss:// to a server with a certificate the test generated', async () => {
    const tls = await startRedis({ tls: true });
    let store: RedisStore | undefined;
    try {
      store = await createRedisStore({
        url: `rediss://127.0.0.1:${tls.port}`,
        redisOptions: { tls: { ca: tls.tls!.ca, servername: 'localhost' } },
      });
      await store.set('k', Buffer.from('over tls'));
      expect((await store.get('k')).toString()).toBe('over tls');
      // Plain TCP to a TLS-only port fails cleanly, without hanging.
      await rejectsWith(
        createRedisStore({ url: `redis://127.0.0.1:${tls.port}`, connectTimeout: 1000 }),
        'KVS_CONNECTION',
      );
    } finally {
      await store?.close();
      await tls.stop();
    }
  });
});
