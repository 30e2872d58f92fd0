import type { KvsCodec } from '../../store/index.js';
import { entryExt, freshUntil, seal, staleUntil, unseal } from '../entry/cache.envelope.js';

/**
 * The times of an entry with a grace period. The store keeps it `ttl + staleTtl + grace`; its
 * fresh-until time ends the ttl, its stale-until time the stale period; between that and the
 * store's expiry it is graced: read as a miss, but the answer when the load fails. An entry
 * whose stale-until time lies before its fresh-until time is a graced entry in its backoff:
 * served as it is, without a load, until the fresh-until time.
 */

/** How a read treats an entry at a given time. */
export type EntryState = 'fresh' | 'stale' | 'graced' | 'backoff';

/** The state of `bytes` at `now` (epoch ms). */
export function entryState(bytes: Buffer, now: number): EntryState {
  const fresh = freshUntil(bytes);
  if (fresh === 0) return 'fresh';
  const stale = staleUntil(bytes);
  if (stale !== 0 && stale < fresh) return now < fresh ? 'backoff' : 'graced';
  if (now < fresh) return 'fresh';
  return stale === 0 || now < stale ? 'stale' : 'graced';
}

/** Where a new entry's times go: fresh-until, stale-until (0: none), and the store's TTL. */
export interface EntryTimes {
  readonly fresh: number;
  readonly stale: number;
  readonly storeTtl: number;
}

/** The times of an entry written at `now` with these durations (ms; ttl 0: until evicted). */
export function entryTimes(ttl: number, staleTtl: number, grace: number, now: number): EntryTimes {
  if (ttl === 0) return { fresh: 0, stale: 0, storeTtl: 0 };
  const fresh = staleTtl > 0 || grace > 0 ? now + ttl : 0;
  return { fresh, stale: grace > 0 ? fresh + staleTtl : 0, storeTtl: ttl + staleTtl + grace };
}

/** The graced entry `bytes`, re-dated to be served without a load until `until` (epoch ms). */
export function backoffEntry(bytes: Buffer, until: number, codec: KvsCodec<unknown>): Buffer {
  return seal(unseal(bytes, codec), until, codec, {
    staleUntil: staleUntil(bytes),
    ext: entryExt(bytes),
  });
}
