/**
 * Random operation sequences give the same observable results on the memory and Redis stores.
 * TTLs are long (no expiry inside a run), so the two clocks never matter.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createMemoryStore, createRedisStore, isKvsError, type KvsStore } from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';

const KEYS = ['a', 'ab', 'a*', 'a?', 'a[', 'b]', '\\', 'n'];
const key = fc.constantFrom(...KEYS);
const prefix = fc.constantFrom('', 'a', 'a*', 'a[', 'b', '\\', 'z');
const value = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.constantFrom('0', '7', '-3', '01', 'x').map((t) => new TextEncoder().encode(t)),
);
const ttl = fc.constantFrom(0, 60_000);

type Operation = { name: string; run: (store: KvsStore) => Promise<unknown> };
const op = (name: string, run: (store: KvsStore) => Promise<unknown>): Operation => ({ name, run });

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.tuple(key, value, ttl).map(([k, v, t]) => op(`set(${k},${t})`, (s) => s.set(k, v, t))),
  key.map((k) => op(`get(${k})`, (s) => s.get(k))),
  key.map((k) => op(`delete(${k})`, (s) => s.delete(k))),
  key.map((k) => op(`has(${k})`, (s) => s.has(k))),
  fc
    .tuple(key, value, ttl)
    .map(([k, v, t]) => op(`setIfAbsent(${k})`, (s) => s.setIfAbsent(k, v, t))),
  key.map((k) => op(`take(${k})`, (s) => s.take(k))),
  fc
    .tuple(key, fc.integer({ min: -5, max: 5 }), ttl)
    .map(([k, by, t]) => op(`increment(${k},${by})`, (s) => s.increment(k, by, t))),
  key.map((k) => op(`ttl(${k})`, async (s) => ttlKind(await s.ttl(k)))),
  fc.tuple(key, ttl).map(([k, t]) => op(`expire(${k},${t})`, (s) => s.expire(k, t))),
  prefix.map((p) => op(`list(${p})`, (s) => s.list(p))),
  fc.array(key, { maxLength: 4 }).map((ks) => op(`getMany(${ks.join()})`, (s) => s.getMany(ks))),
  fc
    .array(key, { maxLength: 4 })
    .map((ks) => op(`deleteMany(${ks.join()})`, (s) => s.deleteMany(ks))),
  fc.tuple(key, value).map(([k, v]) => op(`deleteIfEquals(${k})`, (s) => s.deleteIfEquals(k, v))),
);

/** What a caller can observe of a result: values as hex, errors by code. */
async function observe(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return normalise(await run());
  } catch (err) {
    return { error: isKvsError(err) ? err.code : String(err) };
  }
}

function normalise(result: unknown): unknown {
  if (Buffer.isBuffer(result)) return `0x${result.toString('hex')}`;
  if (Array.isArray(result)) return result.map(normalise);
  return result;
}

function ttlKind(ms: number | undefined): string {
  return ms === undefined ? 'missing' : ms === Infinity ? 'forever' : 'expiring';
}

let server: RedisServer;
let redis: KvsStore;
beforeAll(async () => {
  server = await startRedis();
  redis = await createRedisStore({ url: server.url, keyPrefix: 'prop*[' });
});
afterAll(async () => {
  await redis.close();
  await stopAll();
});

it('memory and Redis agree on random operation sequences', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
      await server.cli('FLUSHALL');
      const memory = createMemoryStore();
      try {
        for (const { name, run } of operations) {
          const expected = await observe(() => run(memory));
          const actual = await observe(() => run(redis));
          expect({ name, result: actual }).toEqual({ name, result: expected });
        }
      } finally {
        await memory.close();
      }
    }),
    { numRuns: 150 },
  );
});
