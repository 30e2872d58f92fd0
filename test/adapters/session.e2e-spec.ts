/**
 * nestjs-kvs/session end to end: express-session and supertest in a real Nest app, over the
 * memory store and a redis-server this suite starts. No mocks.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Module, Post, Req, UnauthorizedException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import session from 'express-session';
import request from 'supertest';
import {
  createMemoryStore,
  KVS_STORE,
  KvsModule,
  MAX_TTL_MS,
  type KvsModuleOptions,
  type KvsStore,
} from '../../lib/index.js';
import { KvsSessionStore } from '../../lib/adapters/session/index.js';
import { useRedisServer } from '../support/backends.js';

// readme: session-controller
declare module 'express-session' {
  interface SessionData {
    userId: string;
  }
}

@Controller()
class AuthController {
  constructor(private readonly sessions: KvsSessionStore) {}

  @Post('login')
  async login(@Req() req: Request, @Body('user') user: string) {
    await new Promise((done) => req.session.regenerate(done)); // a new ID at login
    req.session.userId = user;
    return { user };
  }

  @Get('whoami')
  whoami(@Req() req: Request) {
    if (req.session.userId === undefined) throw new UnauthorizedException();
    return { user: req.session.userId };
  }

  @Post('logout')
  async logout(@Req() req: Request) {
    await new Promise((done) => req.session.destroy(done));
  }

  /** Logs the user out on every device. */
  @Post('logout-everywhere')
  async logoutEverywhere(@Req() req: Request) {
    if (req.session.userId === undefined) throw new UnauthorizedException();
    return { destroyed: await this.sessions.destroyUserSessions(req.session.userId) };
  }
}
// readme: end

const redis = useRedisServer();
const HOUR = 60 * 60 * 1000;

/** A Nest app with express-session on a KvsSessionStore over the store `backend` describes. */
async function boot(backend: KvsModuleOptions) {
  // readme: session-module
  @Module({
    imports: [KvsModule.forRoot(backend)], // backend: e.g. { type: 'redis', url }
    controllers: [AuthController],
    providers: [
      {
        provide: KvsSessionStore,
        inject: [KVS_STORE],
        useFactory: (store: KvsStore) =>
          new KvsSessionStore(store, { userId: (session) => session.userId }),
      },
    ],
  })
  class AppModule {}
  // readme: end
  const app = (
    await Test.createTestingModule({ imports: [AppModule] }).compile()
  ).createNestApplication();
  redis.closeAfterTest(app);
  // readme: session-middleware
  app.use(
    session({
      store: app.get(KvsSessionStore),
      secret: process.env['SESSION_SECRET']!,
      resave: false, // the store's touch() keeps sessions alive
      saveUninitialized: false,
      cookie: { maxAge: 60 * 60 * 1000 }, // the session's TTL in the store, too
    }),
  );
  // readme: end
  await app.init();
  return { app, http: request(app.getHttpServer()), store: app.get<KvsStore>(KVS_STORE) };
}

/** The session cookie a response set. */
function cookieOf(res: request.Response): string {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.find((c) => c.startsWith('connect.sid='));
  if (cookie === undefined) throw new Error('no session cookie was set');
  return cookie.split(';')[0]!;
}

/** Calls a Node-style store method and awaits its callback. */
const call = <T>(fn: (cb: (err: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) =>
    fn((err, value) =>
      err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(value),
    ),
  );

process.env['SESSION_SECRET'] = 'test secret';

const backends = redis.moduleOptions({ keyPrefix: 'app:' });

describe.each(backends)('KvsSessionStore on %s', (_name, options) => {
  beforeEach(() => redis.flush());

  it('login sets a session, whoami reads it, logout destroys it', async () => {
    const { http, store } = await boot(options());
    await http.get('/whoami').expect(401);
    const login = await http.post('/login').send({ user: 'ann' }).expect(201);
    const cookie = cookieOf(login);
    await http.get('/whoami').set('Cookie', cookie).expect(200, { user: 'ann' });

    const [key] = (await store.list('sess:')).filter((k) => !k.startsWith('sess:by-user:'));
    expect(key).toBeDefined();
    const ttl = (await store.ttl(key!))!;
    expect(ttl).toBeGreaterThan(HOUR - 5_000);
    expect(ttl).toBeLessThanOrEqual(HOUR);

    await http.post('/logout').set('Cookie', cookie).expect(201);
    await http.get('/whoami').set('Cookie', cookie).expect(401);
    expect(await store.list('sess:')).toEqual([]);
  });

  it('touch extends the TTL from the cookie without rewriting the session', async () => {
    const { http, store, app } = await boot(options());
    const cookie = cookieOf(await http.post('/login').send({ user: 'bob' }).expect(201));
    const sid = (await app.get(KvsSessionStore).userSessions('bob'))[0]!;
    const key = `sess:${sid}`;
    // As if most of the hour had passed: the session has one second left.
    await store.set(key, await store.get(key), 1_000);

    await http.get('/whoami').set('Cookie', cookie).expect(200, { user: 'bob' }); // touch
    expect(await store.ttl(key)).toBeGreaterThan(HOUR - 5_000);
    expect(await store.ttl(`sess:by-user:bob:${sid}`)).toBeGreaterThan(HOUR - 5_000);
  });

  it('all, length and clear see only this store’s sessions', async () => {
    const { http, store, app } = await boot(options());
    const sessions = app.get(KvsSessionStore);
    await store.set('sessions-of-someone-else', Buffer.from('keep me'));
    await http.post('/login').send({ user: 'ann' }).expect(201);
    await http.post('/login').send({ user: 'bob' }).expect(201);

    const all = (await call<Record<string, session.SessionData>>((cb) => sessions.all(cb)))!;
    expect(
      Object.values(all)
        .map((s) => s.userId)
        .sort(),
    ).toEqual(['ann', 'bob']);
    expect(await call((cb) => sessions.length(cb))).toBe(2);

    await call((cb) => sessions.clear(cb));
    expect(await call((cb) => sessions.length(cb))).toBe(0);
    expect(await store.list()).toEqual(['sessions-of-someone-else']);
  });

  it('logs a user out everywhere after 50 concurrent logins, losing none of them', async () => {
    const { http, store, app } = await boot(options());
    const other = cookieOf(await http.post('/login').send({ user: 'bob' }).expect(201));
    const logins = await Promise.all(
      Array.from({ length: 50 }, () => http.post('/login').send({ user: 'ann' }).expect(201)),
    );
    const cookies = logins.map(cookieOf);
    expect(await app.get(KvsSessionStore).userSessions('ann')).toHaveLength(50);

    await http.post('/logout-everywhere').set('Cookie', cookies[0]!).expect(201, { destroyed: 50 });

    const after = await Promise.all(cookies.map((c) => http.get('/whoami').set('Cookie', c)));
    expect(after.map((res) => res.status)).toEqual(cookies.map(() => 401));
    expect(await app.get(KvsSessionStore).userSessions('ann')).toEqual([]);
    const left = (await store.list('sess:')).filter((k) => !k.startsWith('sess:by-user:'));
    expect(left).toHaveLength(1); // bob's
    await http.get('/whoami').set('Cookie', other).expect(200, { user: 'bob' }); // untouched
  });

  it('leaves no key of a session destroyed by logout-everywhere, index included', async () => {
    const { http, store, app } = await boot(options());
    const sessions = app.get(KvsSessionStore);
    await http.post('/login').send({ user: 'bob' }).expect(201);
    const [bob] = await sessions.userSessions('bob');
    const cookies = [];
    for (let i = 0; i < 3; i++) {
      cookies.push(cookieOf(await http.post('/login').send({ user: 'ann' }).expect(201)));
    }
    // express-session touches the (just destroyed) session at the end of this request.
    await http.post('/logout-everywhere').set('Cookie', cookies[0]!).expect(201, { destroyed: 3 });
    // ...and at the end of each later request that still carries a destroyed session's cookie.
    for (const cookie of cookies) await http.get('/whoami').set('Cookie', cookie).expect(401);

    expect(await store.list('sess:')).toEqual([`sess:${bob}`, `sess:by-user:bob:${bob}`].sort());
  });
});

describe('KvsSessionStore directly', () => {
  const cookie = (maxAge?: number) =>
    ({
      originalMaxAge: maxAge ?? null,
      maxAge,
      expires: maxAge ? new Date(Date.now() + maxAge) : null,
    }) as unknown as session.Cookie;

  it('uses the default TTL for a cookie without expiry, and a custom prefix and serializer', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store, {
      prefix: 'web:',
      ttl: 5_000,
      serializer: {
        stringify: (s) => `v1${JSON.stringify(s)}`,
        parse: (t) => JSON.parse(t.slice(2)),
      },
    });
    await call((cb) => sessions.set('abc', { cookie: cookie(), userId: 'ann' }, cb));
    expect((await store.get('web:abc')).toString()).toMatch(/^v1\{/);
    expect(await store.ttl('web:abc')).toBeLessThanOrEqual(5_000);
    expect(await call((cb) => sessions.get('abc', cb))).toMatchObject({ userId: 'ann' });
    expect(await call((cb) => sessions.get('nope', cb))).toBeNull();
  });

  it('keeps a session whose cookie outlives MAX_TTL_MS for MAX_TTL_MS', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store);
    const forever = { cookie: cookie(200 * 365 * 86_400_000), userId: 'ann' };
    await call((cb) => sessions.set('abc', forever, cb));
    await call<void>((cb) => sessions.touch('abc', forever, () => cb(null)));
    expect(await call((cb) => sessions.get('abc', cb))).toMatchObject({ userId: 'ann' });
    expect(await store.ttl('sess:abc')).toBeLessThanOrEqual(MAX_TTL_MS);
    expect(await store.ttl('sess:abc')).toBeGreaterThan(MAX_TTL_MS - 60_000);
  });

  it('destroys instead of storing a session whose cookie has already expired', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store);
    await call((cb) => sessions.set('abc', { cookie: cookie(60_000), userId: 'ann' }, cb));
    const expired = { cookie: { expires: new Date(Date.now() - 1) }, userId: 'ann' };
    await call((cb) => sessions.set('abc', expired as unknown as session.SessionData, cb));
    expect(await store.list()).toEqual([]);
  });

  it.each(redis.stores({ redis: { keyPrefix: 'touch:' } }))(
    'never lets a touch with an older copy undo a newer write (%s)',
    async (_name, create) => {
      const store = await create();
      const sessions = new KvsSessionStore(store);
      const stale = { cookie: cookie(60_000), userId: 'ann' };
      await call((cb) => sessions.set('abc', stale, cb));
      await call((cb) => sessions.set('abc', { ...stale, userId: 'ann-renamed' }, cb));
      await store.set('sess:abc', await store.get('sess:abc'), 1_000);
      await call<void>((cb) => sessions.touch('abc', stale, () => cb(null)));
      expect(await call((cb) => sessions.get('abc', cb))).toMatchObject({ userId: 'ann-renamed' });
      expect(await store.ttl('sess:abc')).toBeGreaterThan(50_000);
      await store.close();
    },
  );

  it('does not destroy a session that changed hands since it was indexed', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store, { userId: (s) => s.userId });
    await call((cb) => sessions.set('abc', { cookie: cookie(60_000), userId: 'ann' }, cb));
    await call((cb) => sessions.set('abc', { cookie: cookie(60_000), userId: 'bob' }, cb));
    expect(await store.list('sess:by-user:ann:')).toEqual(['sess:by-user:ann:abc']);
    expect(await sessions.userSessions('ann')).toEqual([]);
    expect(await sessions.userSessions('bob')).toEqual(['abc']);
    expect(await sessions.destroyUserSessions('ann')).toBe(0);
    expect(await call((cb) => sessions.get('abc', cb))).toMatchObject({ userId: 'bob' });
    expect(await store.list('sess:by-user:ann:')).toEqual([]);
  });

  it('keeps user IDs containing ":" apart', async () => {
    const sessions = new KvsSessionStore(createMemoryStore(), { userId: (s) => s.userId });
    await call((cb) => sessions.set('s1', { cookie: cookie(60_000), userId: 'a' }, cb));
    await call((cb) => sessions.set('s2', { cookie: cookie(60_000), userId: 'a:b' }, cb));
    expect(await sessions.destroyUserSessions('a')).toBe(1);
    expect(await sessions.userSessions('a:b')).toEqual(['s2']);
  });

  it('indexes a user ID too long for a key under a fixed-size digest of it', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store, { userId: (s) => s.userId });
    const long = 'ü'.repeat(5_000); // 10,000 UTF-8 bytes, 30,000 once URI-encoded
    await call((cb) => sessions.set('s1', { cookie: cookie(60_000), userId: long }, cb));
    await call((cb) => sessions.set('s2', { cookie: cookie(60_000), userId: `${long}x` }, cb));
    expect(await sessions.userSessions(long)).toEqual(['s1']);
    const index = (await store.list('sess:by-user:')).map((key) => key.length);
    expect(Math.max(...index)).toBeLessThan(100);
    expect(await sessions.destroyUserSessions(long)).toBe(1);
    expect(await sessions.userSessions(`${long}x`)).toEqual(['s2']);
    expect(await store.list('sess:')).toHaveLength(2); // s2 and its index entry
  });

  it('rejects bad options and user lookups without the userId option, naming the fix', async () => {
    const store = createMemoryStore();
    expect(() => new KvsSessionStore(store, { ttl: -1 })).toThrow(/ttl.*> 0/);
    expect(() => new KvsSessionStore(undefined as unknown as KvsStore)).toThrow(/KVS_STORE/);
    await expect(new KvsSessionStore(store).destroyUserSessions('ann')).rejects.toThrow(
      /userId option/,
    );
  });

  it('passes store errors to the callback', async () => {
    const store = createMemoryStore();
    const sessions = new KvsSessionStore(store);
    await store.close();
    await expect(call((cb) => sessions.get('abc', cb))).rejects.toMatchObject({
      code: 'KVS_CLOSED',
    });
  });
});
