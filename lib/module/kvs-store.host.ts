import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createMemoryStore, createRedisStore, type KvsStore } from '../store/index.js';
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
    if (options.type === 'memory') {
      const { type: _memory, ...memory } = options;
      return new KvsStoreHost(createMemoryStore(memory), true);
    }
    const { type: _redis, ...redis } = options;
    // Connection trouble is logged, a line per cause per 10 s, unless you handle it yourself.
    const log = new ThrottledLog(
      new Logger(name === undefined ? 'KvsModule' : `KvsModule:${name}`),
    );
    const onError =
      redis.onError ??
      ((err) => log.warn(err.code, () => `Redis connection problem: ${err.message}`));
    return new KvsStoreHost(
      await createRedisStore({ ...redis, onError }),
      redis.client === undefined,
    );
  }

  /** Closes the store: waits for operations in flight, then quits the connections it opened. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
