/**
 * What the nestjs-kvs/keyv specs share: a fresh store per test on each backend, and a Keyv of
 * either major (Keyv 6 is installed as `keyv6`) on a fresh adapter.
 */
import { Keyv } from 'keyv';
import { Keyv as Keyv6 } from 'keyv6';
import { createMemoryStore, type KvsStore } from '../../../lib/index.js';
import { KvsKeyvAdapter, type KvsKeyvAdapterOptions } from '../../../lib/adapters/keyv/index.js';
import type { RedisSuite } from '../../support/backends.js';

/** A fresh store, with a clock the test can move (memory) or real time (Redis). */
export interface Backend {
  store: KvsStore;
  /** Lets `ms` pass for the store's TTLs. */
  advance(ms: number): Promise<void>;
}

/** `[name, fresh backend]` for memory and for the suite's server; closed after the test. */
export function keyvBackends(redis: RedisSuite): [string, () => Promise<Backend>][] {
  return [
    [
      'memory',
      async () => {
        let now = 0;
        const store = redis.closeAfterTest(createMemoryStore({ clock: () => now }));
        return { store, advance: async (ms) => void (now += ms) };
      },
    ],
    [
      'redis',
      async () => {
        await redis.flush();
        const store = await redis.redisStore({ keyPrefix: 'app:' });
        return { store, advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
      },
    ],
  ];
}

/** A Keyv on a fresh adapter over `store`; both majors reject on store errors. */
export type MakeKeyv = (
  store: KvsStore,
  options?: { namespace?: string | undefined; useKeyPrefix?: boolean },
  adapter?: KvsKeyvAdapterOptions,
) => Keyv;

/** `[name, make]` for Keyv 5 (with `throwOnErrors`) and Keyv 6 (rejects when nobody listens). */
export const keyvMajors: [string, MakeKeyv][] = [
  [
    'Keyv 5',
    (store, options, adapter) =>
      new Keyv({ store: new KvsKeyvAdapter(store, adapter), throwOnErrors: true, ...options }),
  ],
  [
    'Keyv 6',
    (store, options, adapter) =>
      new Keyv6({ store: new KvsKeyvAdapter(store, adapter), ...options }) as unknown as Keyv,
  ],
];
