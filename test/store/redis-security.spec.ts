/**
 * Security properties of the Redis store: tenants under different key prefixes cannot see each
 * other's keys whatever glob characters the prefixes hold, credentials never leak into messages,
 * and TLS and ACL users work.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedisStore, type KvsError, type RedisStore } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';
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
