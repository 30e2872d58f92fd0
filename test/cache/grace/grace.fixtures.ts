/**
 * What the grace and loader-timeout suites share: a service whose loader each test scripts, and
 * the targets every main case runs on (memory, a redis-server, a Redis Cluster).
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cacheable } from '../../../lib/index.js';
import {
  startCluster,
  startRedis,
  stopAll,
  type RedisCluster,
  type RedisServer,
} from '../../support/redis-servers.js';
import { closeApps, type BootOptions } from '../cache.fixtures.js';

/**
 * Starts the spec file's redis-server (and a Redis Cluster with `withCluster`) before its tests,
 * closes the apps each test booted, and stops the servers after the last test.
 */
export function useServers(withCluster = false): {
  server: () => RedisServer;
  cluster: () => RedisCluster;
} {
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([
      startRedis(),
      withCluster ? startCluster() : Promise.resolve(undefined),
    ]);
  }, 90_000);
  afterEach(() => closeApps());
  afterAll(() => stopAll(), 30_000);
  return { server: () => server!, cluster: () => cluster! };
}

/** A quote service whose loader is whatever the test sets `load` to. */
@Injectable()
export class Quotes {
  calls = 0;
  load: () => Promise<number> = async () => this.calls;

  @Cacheable({ key: 'quote', ttl: 1_000 })
  async quote(): Promise<number> {
    this.calls++;
    return this.load();
  }
}

/** Where a suite runs: the store options of one app (apps given one prefix share their keys). */
export type Target = (
  keyPrefix: string,
) => Pick<BootOptions, 'backend' | 'storeOptions' | 'memory'>;

/** A memory target, or a Redis one (standalone or Cluster) made from the suite's server. */
export function redisTarget(nodes: () => BootOptions['storeOptions']): Target {
  return (keyPrefix) => ({
    backend: 'redis',
    storeOptions: { ...nodes()!, keyPrefix } as BootOptions['storeOptions'],
  });
}

/** A loader that fails with `message`. */
export const failing =
  (message = 'quotes down') =>
  async (): Promise<number> => {
    throw new Error(message);
  };
