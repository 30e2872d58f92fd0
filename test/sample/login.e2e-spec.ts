/**
 * The sample's brute-force-protected login over HTTP, on memory and on a redis-server (where two
 * instances share the lockout, and a success on one clears the other's deny cache): failures per
 * username and IP, the lockout with its Retry-After, and a fresh start after a success.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { KvsModuleOptions } from '../../lib/index.js';
import { useRedisServer } from '../support/backends.js';
import { waitUntil } from '../support/redis-servers.js';
import { bootSample, closeSamples } from './sample.fixtures.js';

const redis = useRedisServer();
afterEach(() => closeSamples());

let prefixes = 0;
const backends: [string, () => KvsModuleOptions & { keyPrefix?: string }][] = [
  ['memory', () => ({ type: 'memory' })],
  ['Redis', () => ({ type: 'redis', url: redis.server.url, keyPrefix: `login-${++prefixes}:` })],
];

const RIGHT = { user: 'ann', password: 'correct horse battery staple' };
const WRONG = { user: 'ann', password: 'tr0ub4dor&3' };

describe.each(backends)('the sample login on %s', (_name, store) => {
  it('locks a username out after 5 failures from one IP, for 15 minutes, even with the right password', async () => {
    const { http } = await bootSample(store());
    for (let i = 0; i < 5; i++) await http().post('/login').send(WRONG).expect(401);
    const locked = await http().post('/login').send(RIGHT).expect(429);
    // The lockout is 15 min; the failures themselves still count in the sliding window after it
    // ends, for up to 3 more minutes when they fell in the first 3 minutes of a window (windows
    // are aligned to the clock): Retry-After is the later of the two, so 900 to 1080 s.
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(900);
    expect(retryAfter).toBeLessThanOrEqual(1080);
    await http().post('/login').send(RIGHT).expect(429);
    // Other usernames from this IP still log in (and fail) on their own count.
    await http().post('/login').send({ user: 'bob', password: 'x' }).expect(401);
  });

  it('starts afresh after a success: failures before it no longer count', async () => {
    const { http } = await bootSample(store());
    for (let i = 0; i < 4; i++) await http().post('/login').send(WRONG).expect(401);
    await http().post('/login').send(RIGHT).expect(200, { user: 'ann' });
    for (let i = 0; i < 5; i++) await http().post('/login').send(WRONG).expect(401);
    await http().post('/login').send(WRONG).expect(429);
  });
});

describe('the sample login on two instances sharing Redis', () => {
  it('shares the lockout, and an admin reset on one reaches the other', async () => {
    const options = backends[1]![1]();
    const a = await bootSample(options);
    const b = await bootSample(options);
    for (let i = 0; i < 5; i++)
      await (i % 2 === 0 ? a : b).http().post('/login').send(WRONG).expect(401);
    await a.http().post('/login').send(RIGHT).expect(429);
    for (let i = 0; i < 3; i++) await b.http().post('/login').send(RIGHT).expect(429); // b caches it
    const { RateLimiter } = await import('../../lib/index.js');
    const { USER_FAILURES } = await import('../../sample/limited/login.controller.js');
    // The lockout's key, as the sample builds it: `{login:<ip>}:user:ann`.
    const [lockout] = (await redis.server.cli('KEYS', `${options.keyPrefix}rl:*:user:ann:blocked`))
      .split('\n')
      .map((k) => k.slice(`${options.keyPrefix}rl:`.length, -':blocked'.length));
    await a.app.get(RateLimiter).reset(lockout!, USER_FAILURES);
    await waitUntil(
      'b admits the reset user',
      async () => (await b.http().post('/login').send(RIGHT)).status === 200,
      { timeoutMs: 5000, intervalMs: 50 },
    );
  });
});
