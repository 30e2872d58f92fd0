/**
 * Random operation sequences give the same observable results on the memory and Redis stores.
 * TTLs are long (no expiry inside a run), so the two clocks never matter. Inputs include what
 * one backend might take and the other refuse or change: TTLs past MAX_TTL_MS, odd scan batch
 * sizes, keys and prefixes with lone surrogates or other Unicode.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  createMemoryStore,
  createRedisStore,
  isKvsError,
  MAX_SCAN_BATCH_SIZE,
  MAX_TTL_MS,
  type KvsStore,
} from '../../lib/index.js';
import { startRedis, stopAll, type RedisServer } from '../support/redis-servers.js';

/** Short strings of any UTF-16 code units: surrogate pairs, lone halves, NUL, combining marks. */
const anyText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
      fc.constantFrom('a', '\uD83D', '\uDE42', '\u0301', '*'),
    ),
    maxLength,
  });

const KEYS = ['a', 'ab', 'a*', 'a?', 'a[', 'b]', '\\', 'n'];
/** Unicode keys: well-formed ones (astral, combining, NUL) and ones with a lone surrogate. */
const UNICODE_KEYS = ['🙂', 'é', 'e\u0301', '\u{10FFFF}', '\u0000', 'a\uD800b', '\uDC00', '\uD83D'];
const key = fc.oneof(
  { arbitrary: fc.constantFrom(...KEYS, ...UNICODE_KEYS), weight: 5 },
  { arbitrary: anyText(3), weight: 1 },
);
const prefix = fc.oneof(
  {
    arbitrary: fc.constantFrom('', 'a', 'a*', 'a[', 'b', '\\', 'z', 'e', '\uD83D', '🙂'),
    weight: 5,
  },
  { arbitrary: anyText(2), weight: 1 },
);
const value = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.constantFrom('0', '7', '-3', '01', 'x').map((t) => new TextEncoder().encode(t)),
);
/** Long enough never to expire in a run, or invalid (negative, NaN, past MAX_TTL_MS). */
const ttl = fc.constantFrom<number | undefined>(
  undefined,
  0,
  60_000,
  60_000.5,
  MAX_TTL_MS,
  MAX_TTL_MS + 0.5,
  MAX_TTL_MS + 1,
  1e20,
  2 ** 63,
  -1,
  NaN,
);
const batchSize = fc.constantFrom<number | undefined>(
  undefined,
  1,
  2,
  1000,
  MAX_SCAN_BATCH_SIZE,
  MAX_SCAN_BATCH_SIZE + 1,
  0,
  -1,
  1.5,
  1e20,
  NaN,
);

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
  fc.tuple(key, ttl).map(([k, t]) => op(`expire(${k},${t})`, (s) => s.expire(k, t as number))),
  prefix.map((p) => op(`list(${p})`, (s) => s.list(p))),
  fc
    .tuple(prefix, batchSize)
    .map(([p, n]) => op(`scan(${p},${n})`, async (s) => unique(s.scan(p, { batchSize: n })))),
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

/** The keys of a scan, sorted and without the duplicates Redis may yield. */
async function unique(keys: AsyncIterable<string>): Promise<string[]> {
  const seen = new Set<string>();
  for await (const k of keys) seen.add(k);
  return [...seen].sort();
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
