/**
 * Redis store vs raw ioredis, against a redis-server this bench starts on a free loopback port.
 *
 * 64 concurrent callers share a fixed number of operations per run; each caller awaits its call
 * before taking the next. Values are 1 KiB Buffers over 10,000 keys. The raw ioredis client is
 * built with the very options ioredis resolved for the store's own client (so it follows any
 * change in lib/store/redis/redis.options.ts), and once more with ioredis' defaults. Our store is also measured
 * with poolSize 1, 2 and 4, and with auto-pipelining off (to compare with ioredis' defaults).
 */
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { createRedisStore, type RedisStore } from '../lib/store/index.js';
import {
  checkTargets,
  concurrentLoop,
  formatChecks,
  interleave,
  markdownTable,
  type Contender,
  type Target,
} from './lib/measure.js';
import { startRedisServer } from './lib/redis-server.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

const KEYS = 10_000;
const VALUE_BYTES = 1024;
const CONCURRENCY = 64;
const OPS = ['set', 'get'] as const;

const RAW_SAME = 'ioredis (store options)';
const RAW_DEFAULT = 'ioredis (defaults)';
const storeName = (poolSize: number): string => `Redis store (poolSize ${poolSize})`;
const STORE_NO_PIPELINE = 'Redis store (autoPipelining off)';

const TARGETS: Target[] = OPS.map((op) => ({
  op,
  contender: storeName(1),
  peer: RAW_SAME,
  min: 0.95,
}));

interface Subject {
  name: string;
  note: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: Buffer): Promise<unknown>;
}

function storeSubject(name: string, note: string, store: RedisStore): Subject {
  return { name, note, get: (k) => store.get(k), set: (k, v) => store.set(k, v) };
}

function rawSubject(name: string, note: string, client: Redis): Subject {
  return { name, note, get: (k) => client.getBuffer(k), set: (k, v) => client.set(k, v) };
}

type Options = Record<string, unknown>;

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'function' || typeof b === 'function'
    ? String(a) === String(b)
    : JSON.stringify(a) === JSON.stringify(b);
}

/** The entries of `options` that differ from `reference` (host and port aside). */
function differences(options: Options, reference: Options): [string, unknown][] {
  const keys = new Set([...Object.keys(options), ...Object.keys(reference)]);
  return [...keys]
    .filter((k) => k !== 'host' && k !== 'port' && !sameValue(options[k], reference[k]))
    .map((k) => [k, options[k]]);
}

async function run(context: BenchContext): Promise<SectionReport> {
  const opsPerRun = context.quick ? 10_000 : 50_000;
  const server = await startRedisServer();
  context.log(`  redis-server ${server.version} on ${server.url}`);
  const subjects: Subject[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const opened = <T extends RedisStore | Redis>(client: T): T => {
    closers.push(() => (client instanceof Redis ? client.quit() : client.close()));
    return client;
  };
  try {
    const pooled = new Map<number, RedisStore>();
    for (const poolSize of [1, 2, 4])
      pooled.set(poolSize, opened(await createRedisStore({ url: server.url, poolSize })));
    const unpipelined = opened(await createRedisStore({ url: server.url, autoPipelining: false }));
    // The raw client gets the very options ioredis resolved for the store's own client.
    const storeOptions = pooled.get(1)!.clients[0]!.options as unknown as Options;
    const same = opened(new Redis({ ...(storeOptions as RedisOptions), lazyConnect: true }));
    await same.connect();
    const defaults = opened(new Redis({ host: server.host, port: server.port, lazyConnect: true }));
    await defaults.connect();
    const mismatches = differences(same.options as unknown as Options, storeOptions);
    const storeSettings = differences(storeOptions, defaults.options as unknown as Options)
      .filter(([k]) => k !== 'lazyConnect')
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join(', ');

    subjects.push(
      storeSubject(
        storeName(1),
        '`createRedisStore({ url })`: the defaults (one connection, auto-pipelining on).',
        pooled.get(1)!,
      ),
      rawSubject(
        RAW_SAME,
        `ioredis built with the options of the store's own client, i.e. ioredis defaults except { ${storeSettings} }; \`getBuffer\` / \`set\`.`,
        same,
      ),
      rawSubject(
        RAW_DEFAULT,
        '`new Redis({ host, port })`: ioredis defaults (offline queue on, retries, no auto-pipelining).',
        defaults,
      ),
      storeSubject(
        storeName(2),
        '`poolSize: 2`: commands spread round-robin over two connections.',
        pooled.get(2)!,
      ),
      storeSubject(storeName(4), '`poolSize: 4`.', pooled.get(4)!),
      storeSubject(
        STORE_NO_PIPELINE,
        '`autoPipelining: false`: one write per command, like ioredis defaults.',
        unpipelined,
      ),
    );

    const keys = Array.from({ length: KEYS }, (_, i) => `bench:${i}`);
    const value = randomBytes(VALUE_BYTES);
    await concurrentLoop((i) => subjects[0]!.set(keys[i]!, value), KEYS, CONCURRENCY);
    for (const s of subjects) {
      const got = await s.get(keys[KEYS - 1]!);
      if (!Buffer.isBuffer(got) || !got.equals(value))
        throw new Error(`${s.name}: get does not return the value set`);
    }

    const contenders: Contender[] = subjects.map((s) => ({
      name: s.name,
      note: s.note,
      runners: {
        set: () => concurrentLoop((i) => s.set(keys[i % KEYS]!, value), opsPerRun, CONCURRENCY),
        get: () => concurrentLoop((i) => s.get(keys[i % KEYS]!), opsPerRun, CONCURRENCY),
      },
    }));
    const samples = await interleave(contenders, OPS, {
      rounds: context.rounds,
      warmupRuns: 1,
      onRun: (op, name, round, rate) =>
        context.log(
          `  redis ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s, ${rate.cpuMicros.toFixed(3)} CPU µs/op`,
        ),
    });

    const checks = checkTargets('redis', samples, TARGETS);
    const markdown = [
      `redis-server ${server.version} started by the bench on ${server.host} (no persistence), sharing this machine's CPUs with the client. ` +
        `${CONCURRENCY} concurrent callers, each awaiting its call before the next; ${opsPerRun.toLocaleString('en-US')} operations per run ` +
        `over ${KEYS.toLocaleString('en-US')} keys, ${VALUE_BYTES}-byte Buffer values; ${context.rounds} rounds interleaved, median of the rounds.`,
      '',
      ...OPS.flatMap((op) => [
        `### ${op}`,
        '',
        markdownTable(samples, op, contenders, [RAW_SAME, RAW_DEFAULT]),
        '',
      ]),
      'Contenders:',
      '',
      ...contenders.map((c) => `- **${c.name}**: ${c.note}`),
      '',
      mismatches.length === 0
        ? `The raw "${RAW_SAME}" client's options were checked equal to the store's client's.`
        : `WARNING: the raw client's options differ from the store's: ${mismatches.map(([k]) => k).join(', ')}.`,
      '',
      'Targets:',
      '',
      formatChecks(checks),
    ].join('\n');
    return {
      markdown,
      checks,
      environment: { Redis: `redis-server ${server.version} (loopback, started by the bench)` },
    };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
    await server.stop();
  }
}

export const redisStoreBench: BenchSection = {
  name: 'redis',
  title: 'Redis store',
  run,
};
