import { Module, type DynamicModule } from '@nestjs/common';
import { assertKvsName } from './kvs.constants.js';
import { KvsConfigurableModule } from './kvs.module-definition.js';
import {
  assertKvsAsyncOptions,
  assertKvsModuleOptions,
  type KvsModuleAsyncOptions,
  type KvsModuleRootOptions,
} from './kvs-module.options.js';

/**
 * The store registration of `KvsModule` (internal): registers a key-value store (memory or Redis)
 * and exports it under `getKvsToken(name)`. The public `KvsModule` (lib/kvs) extends it and adds
 * caching and rate limiting; this floor knows nothing of them, so they can depend on it.
 */
@Module({})
export class KvsStoreModule extends KvsConfigurableModule {
  /** Registers a store from static options; no options = the default in-process memory store. */
  static override forRoot(options: KvsModuleRootOptions = { type: 'memory' }): DynamicModule {
    assertKvsModuleOptions(options);
    assertKvsName(options.name);
    return super.forRoot(options);
  }

  /** Registers a store whose options come from a factory, a class, or an existing provider. */
  static override forRootAsync(options: KvsModuleAsyncOptions): DynamicModule {
    assertKvsAsyncOptions(options);
    assertKvsName(options.name);
    return super.forRootAsync(options);
  }
}
