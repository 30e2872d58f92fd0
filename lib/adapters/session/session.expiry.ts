import { defineScript, RedisStore, type KvsStore } from '../../store/index.js';

/** PEXPIRE: a new TTL without rewriting the value. 1 when the key exists, 0 otherwise. */
const PEXPIRE = defineScript(`return redis.call('PEXPIRE', KEYS[1], ARGV[1])`);

/**
 * Gives an existing key a new TTL and leaves its value alone. On Redis this is one PEXPIRE, so a
 * touch can never undo a concurrent write. Other stores have no expire operation, so the current
 * value (read just now, not the caller's older copy) is written back with the new TTL.
 */
export async function extendExpiry(store: KvsStore, key: string, ttlMs: number): Promise<void> {
  const ttl = Math.max(1, Math.ceil(ttlMs));
  if (store instanceof RedisStore) {
    await store.evalScript(PEXPIRE, [key], [ttl]);
    return;
  }
  const current = await store.tryGet(key);
  if (current !== undefined) await store.set(key, current, ttl);
}
