/**
 * Every adapter that wraps a store refuses something that is not a nestjs-kvs store the same way:
 * a KvsInvalidArgumentError naming the adapter and where to get a store (KVS_STORE).
 */
import { describe, expect, it } from '@jest/globals';
import { KvsKeyvAdapter } from '../../lib/adapters/keyv/index.js';
import { KvsSessionStore } from '../../lib/adapters/session/index.js';
import { KvsThrottlerStorage } from '../../lib/adapters/throttler/index.js';
import { isKvsError, type KvsStore } from '../../lib/index.js';

const adapters: [string, (store: KvsStore) => unknown][] = [
  ['KvsKeyvAdapter', (store) => new KvsKeyvAdapter(store)],
  ['KvsSessionStore', (store) => new KvsSessionStore(store)],
  ['KvsThrottlerStorage', (store) => new KvsThrottlerStorage(store)],
];

const notStores: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a plain object', {}],
  ['a Redis client', { get: () => undefined, set: () => undefined, status: 'ready' }],
];

describe.each(adapters)('%s', (name, create) => {
  it.each(notStores)('refuses %s as its store, naming the fix', (_kind, value) => {
    let thrown: unknown;
    try {
      create(value as KvsStore);
    } catch (err) {
      thrown = err;
    }
    expect(isKvsError(thrown, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toMatch(new RegExp(`^${name} needs a nestjs-kvs store`));
    expect((thrown as Error).message).toMatch(/KVS_STORE/);
  });
});
