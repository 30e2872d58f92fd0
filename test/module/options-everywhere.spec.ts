/**
 * Every options object of the helpers and adapters is checked key by key at runtime, like the
 * store's and the modules': a misspelt key fails at construction with a "did you mean".
 */
import { describe, expect, it } from '@jest/globals';
import { KvsKeyvAdapter } from '../../lib/adapters/keyv/index.js';
import { KvsSessionStore } from '../../lib/adapters/session/index.js';
import { KvsThrottlerStorage } from '../../lib/adapters/throttler/index.js';
import {
  createMemoryStore,
  FeatureFlags,
  isKvsError,
  KvsExceptionFilter,
  OneTimeTokens,
} from '../../lib/index.js';

const store = createMemoryStore({ sweepIntervalMs: 0 });

describe.each([
  [
    'FeatureFlags',
    () => new FeatureFlags(store, { defaults: {}, refreshMS: 5 } as never),
    'refreshMs',
  ],
  ['OneTimeTokens', () => new OneTimeTokens(store, { ttl: 1000 } as never), 'ttlMs'],
  ['KvsThrottlerStorage', () => new KvsThrottlerStorage(store, { maxkeys: 5 } as never), 'maxKeys'],
  ['KvsKeyvAdapter', () => new KvsKeyvAdapter(store, { prefx: 'k:' } as never), 'prefix'],
  ['KvsSessionStore', () => new KvsSessionStore(store, { userID: () => 'u' } as never), 'userId'],
  [
    'KvsExceptionFilter',
    () => new KvsExceptionFilter(undefined, { retryAfter: 5 } as never),
    'retryAfterSeconds',
  ],
])('%s', (name, make, suggestion) => {
  it(`rejects a misspelt option, suggesting '${suggestion}'`, () => {
    let caught: unknown;
    try {
      make();
    } catch (err) {
      caught = err;
    }
    expect(isKvsError(caught, 'KVS_INVALID_ARGUMENT')).toBe(true);
    expect((caught as Error).message).toMatch(
      new RegExp(`Unknown option '\\w+' in the ${name} options`),
    );
    expect((caught as Error).message).toContain(`Did you mean '${suggestion}'?`);
  });
});
