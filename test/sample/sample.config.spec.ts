/** The sample's environment: which store, port and secrets it runs with. */
import { describe, expect, it } from '@jest/globals';
import { loadSampleConfig } from '../../sample/sample.config.js';

describe('loadSampleConfig', () => {
  it('defaults to memory on 127.0.0.1:3000, with a random session secret and a warning', () => {
    const { config, warnings } = loadSampleConfig({});
    expect(config).toMatchObject({
      store: { type: 'memory' },
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      flagsRefreshMs: 1000,
      catalogDelayMs: 300,
    });
    expect(config.sessionSecret).toMatch(/^[\w-]{43}$/);
    expect(loadSampleConfig({}).config.sessionSecret).not.toBe(config.sessionSecret);
    expect(warnings).toEqual([expect.stringMatching(/^SESSION_SECRET is not set/)]);
  });

  it('runs on Redis with KVS_URL and on a Cluster with KVS_CLUSTER', () => {
    expect(loadSampleConfig({ KVS_URL: 'redis://r:6380' }).config.store).toEqual({
      type: 'redis',
      url: 'redis://r:6380',
      keyPrefix: 'sample:',
    });
    expect(
      loadSampleConfig({ KVS_CLUSTER: 'redis://a:7000, redis://b:7001,' }).config.store,
    ).toEqual({
      type: 'redis',
      cluster: { nodes: ['redis://a:7000', 'redis://b:7001'] },
      keyPrefix: 'sample:',
    });
    expect(() => loadSampleConfig({ KVS_URL: 'redis://r', KVS_CLUSTER: 'redis://a:7000' })).toThrow(
      /KVS_URL or KVS_CLUSTER, not both/,
    );
  });

  it('reads PORT, HOST, PUBLIC_URL, SESSION_SECRET and FLAGS_REFRESH_MS', () => {
    const { config, warnings } = loadSampleConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://shop.example/',
      SESSION_SECRET: 's3cret',
      FLAGS_REFRESH_MS: '250',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'https://shop.example',
      sessionSecret: 's3cret',
      flagsRefreshMs: 250,
    });
    expect(warnings).toEqual([]);
    expect(loadSampleConfig({ PORT: '80' }).config.publicUrl).toBe('http://localhost:80');
    expect(() => loadSampleConfig({ PORT: 'eighty' })).toThrow(/PORT must be a whole number/);
  });
});
