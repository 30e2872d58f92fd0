import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createMemoryStore,
  createRedisStore,
  type KvsStore,
  type RedisStore,
} from '../store/index.js';
import { getKvsToken } from './kvs.constants.js';
import { assertKvsModuleOptions, type KvsModuleOptions } from './kvs-module.options.js';
import { ThrottledLog } from '../shared/throttled-log.js';

/**
 * Creates the store of one KvsModule registration, holds it, and closes it when the application
 * shuts down. It closes only at `onApplicationShutdown`, so other providers can still use the
 * store in their own `onModuleDestroy` and `beforeApplicationShutdown` hooks.
 */
export class KvsStoreHost implements OnApplicationShutdown {
  /** Use {@link KvsStoreHost.create}. */
  constructor(
    /** The store this host created. */
    readonly store: KvsStore,
    /** False when the store wraps an ioredis client you passed: closing it leaves that client open. */
    readonly ownsConnection: boolean,
  ) {}

  /**
   * Creates the store `options` describe; a Redis store resolves once Redis answers a PING and
   * rejects `KvsConnectionError` otherwise.
   */
  static async create(options: KvsModuleOptions, name?: string): Promise<KvsStoreHost> {
    assertKvsModuleOptions(options);
    const logger = new Logger(name === undefined ? 'KvsModule' : `KvsModule:${name}`);
    let host: KvsStoreHost;
    if (options.type === 'memory') {
      const { type: _memory, ...memory } = options;
      host = new KvsStoreHost(createMemoryStore(memory), true);
    } else {
      const { type: _redis, ...redis } = options;
      // Connection trouble is logged, a line per cause per 10 s, unless you handle it yourself.
      const log = new ThrottledLog(logger);
      const onError =
        redis.onError ??
        ((err) => log.warn(err.code, () => `Redis connection problem: ${err.message}`));
      host = new KvsStoreHost(
        await createRedisStore({ ...redis, onError }),
        redis.client === undefined,
      );
    }
    logger.log(describeStore(host.store, name));
    return host;
  }

  /** Closes the store: waits for operations in flight, then quits the connections it opened. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * The startup line of a store: its token, backend, target and key prefix, never a password
 * (Redis targets are redacted when the URL is parsed).
 */
export function describeStore(store: KvsStore, name: string | undefined): string {
  const token = getKvsToken(name);
  if (store.backend === 'redis') {
    const { target, keyPrefix } = store as RedisStore;
    const prefix = keyPrefix === '' ? 'no keyPrefix' : `keyPrefix '${keyPrefix}'`;
    return `Store ${token} ready: redis at ${target}, ${prefix}.`;
  }
  return `Store ${token} ready: ${store.backend} (this process only).`;
}
