import { channelOf, type KvsChannel, type KvsSubscription } from '../../lib/store/kvs.channel.js';
import { createMemoryStore, createRedisStore, type KvsStore } from '../../lib/store/index.js';
import { urlOfUserWithout } from '../support/acl.js';
import { useRedisServer } from '../support/backends.js';
import {
  ChannelRecorder,
  isInvalidation,
  isMessage,
  isState,
} from '../support/channel-recorder.js';

const redis = useRedisServer();

function channel(store: KvsStore): KvsChannel {
  const found = channelOf(store);
  if (found === undefined) throw new Error(`the ${store.backend} store has no channel`);
  return found;
}

describe.each([
  ['memory', async () => redis.closeAfterTest(createMemoryStore())],
  ['redis', () => redis.redisStore()],
] as const)('the channel on %s', (_name, open) => {
  it('delivers a message to every other subscription, never back to its sender', async () => {
    const store = await open();
    const [[a, subA], [b, subB]] = await Promise.all([listen(store), listen(store)]);
    expect(subA.up).toBe(true);
    expect(await subA.publish('cache', { keys: ['k1'], n: 1 })).toBe(true);
    expect(await b.next(isMessage('cache'))).toEqual({
      kind: 'message',
      topic: 'cache',
      data: { keys: ['k1'], n: 1 },
    });
    // b's own message reaches a; a's first message never came back to a.
    await subB.publish('flags', 'x');
    await a.next(isMessage('flags'));
    expect(a.heard.filter((h) => h.kind === 'message')).toEqual([
      { kind: 'message', topic: 'flags', data: 'x' },
    ]);
    subA.close();
    subB.close();
  });

  it('stops delivering to a closed subscription and sends nothing from it', async () => {
    const store = await open();
    const [[, subA], [b, subB]] = await Promise.all([listen(store), listen(store)]);
    subB.close();
    expect(subB.up).toBe(false);
    expect(await subB.publish('t', 1)).toBe(false);
    const [c, subC] = await listen(store);
    await subA.publish('t', 2);
    await c.next(isMessage('t'));
    expect(b.heard.filter((h) => h.kind === 'message')).toEqual([]);
    subA.close();
    subC.close();
  });

  it('refuses to publish what JSON cannot hold, without throwing', async () => {
    const store = await open();
    const sub = channel(store).subscribe(new ChannelRecorder());
    await sub.ready;
    expect(await sub.publish('t', { big: 1n })).toBe(false);
    sub.close();
  });
});

describe('the channel on redis', () => {
  it('keeps two stores with different keyPrefixes apart on one server', async () => {
    const [one, oneAgain, two, twoAgain] = await Promise.all(
      ['one:', 'one:', 'two:', 'two:'].map((keyPrefix) => redis.redisStore({ keyPrefix })),
    );
    const heardOne = new ChannelRecorder();
    const heardTwo = new ChannelRecorder();
    const subs = [
      channel(one!).subscribe(new ChannelRecorder()),
      channel(oneAgain!).subscribe(heardOne),
      channel(two!).subscribe(heardTwo),
      channel(twoAgain!).subscribe(new ChannelRecorder()),
    ];
    await Promise.all(subs.map((s) => s.ready));
    await subs[0]!.publish('t', 'for one');
    await heardOne.next(isMessage('t'));
    await subs[3]!.publish('t', 'for two');
    await heardTwo.next(isMessage('t'));
    // Messages on one server arrive in order: 'for one' would have come first.
    expect(heardTwo.heard.filter((h) => h.kind === 'message')).toEqual([
      { kind: 'message', topic: 't', data: 'for two' },
    ]);
    for (const s of subs) s.close();
  });

  it('goes down when its connection is killed and comes back by itself, subscribed again', async () => {
    const store = await redis.redisStore();
    const other = await redis.redisStore();
    const heard = new ChannelRecorder();
    const sub = channel(store).subscribe(heard);
    const sender = channel(other).subscribe(new ChannelRecorder());
    await Promise.all([sub.ready, sender.ready]);
    await redis.server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await heard.next(isState(false));
    await heard.next((h) => h.kind === 'state' && h.up && heard.heard.indexOf(h) > 0);
    expect(sub.up).toBe(true);
    heard.clear();
    // The sender's own subscription went down and up too; wait for it before sending.
    await sender.ready;
    await waitUp(sender);
    await sender.publish('after', 1);
    await heard.next(isMessage('after'));
    sub.close();
    sender.close();
  });

  it('reports changes of tracked keys from outside the application, keyPrefix removed', async () => {
    const store = await redis.redisStore({ keyPrefix: 'app:' });
    const heard = new ChannelRecorder();
    const sub = channel(store).subscribe(heard);
    await sub.track('cache:');
    await redis.server.cli('SET', 'app:cache:a,b', '1');
    await redis.server.cli('SET', 'app:other:x', '1');
    await redis.server.cli('SET', 'cache:not-ours', '1');
    await redis.server.cli('DEL', 'app:cache:a,b');
    await heard.next(isInvalidation('cache:a,b'));
    await redis.server.cli('FLUSHALL');
    await heard.next(isInvalidation(null));
    const keys = heard.heard.flatMap((h) =>
      h.kind === 'invalidated' ? (h.keys ?? ['<all>']) : [],
    );
    expect(keys).toEqual(['cache:a,b', 'cache:a,b', '<all>']);
    sub.close();
  });

  it('tracks a prefix added while up after a reconnect, telling its users it went down', async () => {
    const store = await redis.redisStore();
    const heard = new ChannelRecorder();
    const sub = channel(store).subscribe(heard);
    await sub.track('a:');
    heard.clear();
    await sub.track('b:');
    expect(heard.heard[0]).toEqual({ kind: 'state', up: false });
    await redis.server.cli('SET', 'b:1', '1');
    await heard.next(isInvalidation('b:1'));
    // A prefix already covered changes nothing.
    heard.clear();
    await sub.track('a:sub:');
    expect(heard.heard).toEqual([]);
    sub.close();
  });

  it('fails tracking with an error naming the ACL fix when the user may not track', async () => {
    const url = await urlOfUserWithout(redis.server, 'notrack', 'client|tracking');
    const store = redis.closeAfterTest(await createRedisStore({ url }));
    const sub = channel(store).subscribe(new ChannelRecorder());
    const err = await sub.track('cache:').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('KVS_BACKEND');
    expect(err?.message).toMatch(/refused CLIENT TRACKING.*\+client\|tracking/);
    expect(err?.message).not.toContain('notrack-pw');
    sub.close();
  });
});

/** A recorder subscribed to the store's channel, once it is up. */
async function listen(store: KvsStore): Promise<[ChannelRecorder, KvsSubscription]> {
  const recorder = new ChannelRecorder();
  const sub = channel(store).subscribe(recorder);
  await sub.ready;
  return [recorder, sub];
}

async function waitUp(sub: { up: boolean }): Promise<void> {
  for (let i = 0; i < 200 && !sub.up; i++) await new Promise((r) => setTimeout(r, 25));
  if (!sub.up) throw new Error('subscription stayed down');
}
