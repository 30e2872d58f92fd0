/**
 * Memory store vs lru-cache and Keyv's default in-memory store.
 *
 * Every contender holds the same 10,000 keys with the same 100-byte Buffer value and is driven
 * through the same promise-returning functions, called one after the other and each awaited
 * (a request handler awaiting its cache), for a fixed time per run. lru-cache is synchronous, so
 * it is wrapped in async functions: every contender pays for one promise per call, as callers of
 * an async store do. Keys are built once up front (their hashes cached), so the figures are the
 * stores' own costs, not string building.
 */
import { randomBytes } from 'node:crypto';
import Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { createMemoryStore } from '../lib/store/index.js';
import {
  checkTargets,
  formatChecks,
  interleave,
  markdownTable,
  sequentialLoop,
  type Contender,
  type Target,
} from './lib/measure.js';
import type { BenchContext, BenchSection, SectionReport } from './lib/section.js';

const KEYS = 10_000;
const VALUE_BYTES = 100;
const OPS = ['get', 'set'] as const;

const STORE = 'memory store';
const STORE_LRU = `memory store (maxEntries ${KEYS / 1000}k)`;
const LRU = 'lru-cache';
const LRU_COPY = 'lru-cache + copies';
const KEYV = 'Keyv (memory)';
const MAP = 'async Map (reference)';

const TARGETS: Target[] = OPS.flatMap((op) => [
  { op, contender: STORE, peer: LRU, min: 1.0 },
  { op, contender: STORE, peer: KEYV, min: 5.0 },
]);

/** The get and set of one contender, as promise-returning functions. */
interface Subject {
  name: string;
  note: string;
  get(key: string): Promise<unknown>;
  set(key: string, value: Buffer): Promise<unknown>;
  close?(): Promise<unknown>;
}

async function subjects(): Promise<Subject[]> {
  const store = createMemoryStore();
  const bounded = createMemoryStore({ maxEntries: KEYS });
  const lru = new LRUCache<string, Buffer>({ max: KEYS });
  const lruCopy = new LRUCache<string, Buffer>({ max: KEYS });
  const keyv = new Keyv<Buffer>();
  const map = new Map<string, Buffer>();
  return [
    {
      name: STORE,
      note: '`createMemoryStore()` (defaults: no entry limit, background sweep every 1 s); copies the value on set and on get.',
      get: (k) => store.get(k),
      set: (k, v) => store.set(k, v),
      close: () => store.close(),
    },
    {
      name: STORE_LRU,
      note: `\`createMemoryStore({ maxEntries: ${KEYS} })\`: least-recently-used bookkeeping on, like lru-cache (no evictions happen here: the key space fits).`,
      get: (k) => bounded.get(k),
      set: (k, v) => bounded.set(k, v),
      close: () => bounded.close(),
    },
    {
      name: LRU,
      note: `\`new LRUCache({ max: ${KEYS} })\` wrapped in async functions; stores and returns the caller's Buffer itself (no copies).`,
      get: async (k) => lru.get(k),
      set: async (k, v) => {
        lru.set(k, v);
      },
    },
    {
      name: LRU_COPY,
      note: 'The same lru-cache, but copying the value on set and on get (`Buffer.from`) as our store does: same semantics, no target.',
      get: async (k) => {
        const v = lruCopy.get(k);
        return v === undefined ? undefined : Buffer.from(v);
      },
      set: async (k, v) => {
        lruCopy.set(k, Buffer.from(v));
      },
    },
    {
      name: KEYV,
      note: '`new Keyv()`: its default Map store; serialises the value (Buffer as base64 in JSON) on set and parses it on get.',
      get: (k) => keyv.get(k),
      set: (k, v) => keyv.set(k, v),
      close: () => keyv.disconnect(),
    },
    {
      name: MAP,
      note: 'A bare `Map` wrapped in async functions: the ceiling for any promise-returning store on this machine (no target).',
      get: async (k) => map.get(k),
      set: async (k, v) => {
        map.set(k, v);
      },
    },
  ];
}

async function run(context: BenchContext): Promise<SectionReport> {
  const runMs = context.quick ? 60 : 250;
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
  const value = randomBytes(VALUE_BYTES);
  const list = await subjects();

  for (const s of list) {
    for (const k of keys) await s.set(k, value);
    const got = await s.get(keys[KEYS - 1]!);
    if (!Buffer.isBuffer(got) || !got.equals(value))
      throw new Error(`${s.name}: get does not return the value set`);
  }

  const contenders: Contender[] = list.map((s) => ({
    name: s.name,
    note: s.note,
    runners: {
      get: () => sequentialLoop((i) => s.get(keys[i % KEYS]!), runMs),
      set: () => sequentialLoop((i) => s.set(keys[i % KEYS]!, value), runMs),
    },
  }));

  const samples = await interleave(contenders, OPS, {
    rounds: context.rounds,
    warmupRuns: 1,
    onRun: (op, name, round, rate) =>
      context.log(
        `  memory ${op} round ${round + 1}: ${name} ${Math.round(rate.opsPerSec).toLocaleString('en-US')} ops/s, ${rate.cpuMicros.toFixed(3)} CPU µs/op`,
      ),
  });
  for (const s of list) await s.close?.();

  const checks = checkTargets('memory', samples, TARGETS);
  const markdown = [
    `Same ${KEYS.toLocaleString('en-US')} keys and ${VALUE_BYTES}-byte Buffer value for all; each call awaited before the next ` +
      `(one caller, sequential), keys built up front, ${runMs} ms per run, ${context.rounds} rounds interleaved, median of the rounds.`,
    '',
    ...OPS.flatMap((op) => [
      `### ${op}`,
      '',
      markdownTable(samples, op, contenders, [LRU, LRU_COPY, KEYV]),
      '',
    ]),
    'Contenders:',
    '',
    ...contenders.map((c) => `- **${c.name}**: ${c.note}`),
    '',
    'Targets:',
    '',
    formatChecks(checks),
  ].join('\n');
  return { markdown, checks };
}

export const memoryStoreBench: BenchSection = {
  name: 'memory',
  title: 'Memory store',
  run,
};
