/**
 * The hooks the cache's local tier calls (local hits, invalidations on the channel) and the bound
 * on attribute sets, read back through the SDK's in-memory metric exporter.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  cacheInvalidationsReceived,
  cacheInvalidationsSent,
  cacheLookup,
  rateLimitDecision,
} from '../../lib/telemetry/telemetry.hooks.js';
import { MAX_SERIES, telemetryReady } from '../../lib/telemetry/telemetry.state.js';
import { startTestSdk, type TestSdk } from './otel.fixtures.js';

let sdk: TestSdk;
beforeEach(async () => {
  sdk = startTestSdk();
  await telemetryReady(); // what KvsModule does when it creates a store
});
afterEach(() => sdk.close());

describe('local tier hooks', () => {
  it('count local hits as lookups and invalidations by namespace', async () => {
    cacheLookup('local_hit', 'products');
    cacheLookup('local_hit', 'products');
    cacheInvalidationsSent('products', 3);
    cacheInvalidationsSent('products');
    cacheInvalidationsReceived(''); // a message that names no namespace
    expect(await sdk.points('kvs.cache.lookups')).toEqual([
      {
        attributes: { 'kvs.cache.namespace': 'products', 'kvs.cache.result': 'local_hit' },
        value: 2,
      },
    ]);
    expect(await sdk.points('kvs.cache.invalidations.sent')).toEqual([
      { attributes: { 'kvs.cache.namespace': 'products' }, value: 4 },
    ]);
    expect(await sdk.points('kvs.cache.invalidations.received')).toEqual([
      { attributes: {}, value: 1 },
    ]);
    const sent = await sdk.metric('kvs.cache.invalidations.sent');
    expect(sent?.descriptor).toMatchObject({
      unit: '{invalidation}',
      description: 'Invalidations the local tier published on the store channel.',
    });
  });
});

describe('attribute sets', () => {
  it(`keep at most ${MAX_SERIES} policies per metric, the rest under _other`, async () => {
    for (let i = 0; i < MAX_SERIES + 5; i++) {
      rateLimitDecision({ allowed: true, policy: `p${i}` });
    }
    const points = await sdk.points('kvs.ratelimit.decisions');
    expect(points).toHaveLength(MAX_SERIES + 1);
    expect(points).toContainEqual({
      attributes: { 'kvs.ratelimit.outcome': 'allowed', 'kvs.ratelimit.policy': '_other' },
      value: 5,
    });
  });
});
