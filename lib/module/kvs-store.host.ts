import type { OnApplicationShutdown } from '@nestjs/common';
import { createMemoryStore, createRedisStore, type KvsStore } from '../store/index.js';
import { assertKvsModuleOptions, type KvsModuleOptions } from './kvs-module.options.js';

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
  static async create(options: KvsModuleOptions): Promise<KvsStoreHost> {
    assertKvsModuleOptions(options);
    if (options.type === 'memory') {
      const { type: _memory, ...memory } = options;
      return new KvsStoreHost(createMemoryStore(memory), true);
    }
    const { type: _redis, ...redis } = options;
    return new KvsStoreHost(await createRedisStore(redis), redis.client === undefined);
  }

  /** Closes the store: waits for operations in flight, then quits the connections it opened. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
