/**
 * Child process of the local section's bus part: one Nest app (application context) with the
 * local tier on a Redis store, driven by the parent over IPC.
 *
 *   node cache.local.bus-node.bench.js <redis url>
 *
 * Messages (parent -> child, each answered once):
 * - `{ do: 'clock' }` -> `{ t }`: this process's `process.hrtime.bigint()`, to check that the
 *   parent and both children read one clock (CLOCK_MONOTONIC is system-wide on Linux).
 * - `{ do: 'fill', key }` -> `{ local }`: reads `key` through `wrap` until a read is a local hit
 *   (three reads at most), so that it is in L1; `local` says whether one was.
 * - `{ do: 'watch', key }` -> `{ armed: true }` at once, then `{ t, dropped }` when the next
 *   invalidation arrived (`stats().invalidationsReceived` grew; checked on every turn of the event
 *   loop), with `dropped` saying whether the next read of `key` went to the store; `{ t: null }`
 *   when none came within 2 s.
 * - `{ do: 'set' | 'delete', key }` -> `{ t0, t1 }`: the clock before and after the write.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KvsCache, KvsCacheModule } from '../lib/cache/index.js';
import { KvsModule } from '../lib/kvs/index.js';
import { product } from './cache.hit.bench.js';

/** What the parent sends. */
export type BusCommand =
  | { do: 'clock' }
  | { do: 'fill'; key: string }
  | { do: 'watch'; key: string }
  | { do: 'set' | 'delete'; key: string };

const TTL = 10 * 60 * 1000;
/** How long `watch` waits for an invalidation before it answers `{ t: null }`. */
const WATCH_MS = 2000;
const now = (): string => process.hrtime.bigint().toString();

async function main(): Promise<void> {
  const [url] = process.argv.slice(2) as [string];
  @Module({
    imports: [
      KvsModule.forRoot({ type: 'redis', url, keyPrefix: 'bench-bus:' }),
      KvsCacheModule.forRoot({ ttl: TTL, local: true }),
    ],
  })
  class BusNode {}
  const app = await NestFactory.createApplicationContext(BusNode, { logger: ['error'] });
  const cache = app.get(KvsCache);
  const send = (message: object): void => void process.send?.(message);
  const read = (key: string) => cache.wrap(key, () => product(key));

  const watch = (key: string): void => {
    const base = cache.stats().invalidationsReceived;
    const deadline = Date.now() + WATCH_MS;
    const poll = (): void => {
      if (cache.stats().invalidationsReceived === base) {
        if (Date.now() < deadline) setImmediate(poll);
        else send({ t: null, dropped: false });
        return;
      }
      const t = now();
      const before = cache.stats().localHits;
      void read(key).then(() => send({ t, dropped: cache.stats().localHits === before }));
    };
    setImmediate(poll);
    send({ armed: true });
  };

  process.on('message', (m: BusCommand) => {
    void (async () => {
      switch (m.do) {
        case 'clock':
          return send({ t: now() });
        case 'fill': {
          // The first read computes and stores; a local hit should follow within two more.
          let local = false;
          for (let i = 0; i < 3 && !local; i++) {
            const before = cache.stats().localHits;
            await read(m.key);
            local = cache.stats().localHits === before + 1;
          }
          return send({ local });
        }
        case 'watch':
          return watch(m.key);
        case 'set':
        case 'delete': {
          const t0 = now();
          if (m.do === 'set') await cache.set(m.key, product(m.key));
          else await cache.delete(m.key);
          return send({ t0, t1: now() });
        }
      }
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
  send({ ready: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
