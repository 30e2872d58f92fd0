import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { KvsStore } from '../store/index.js';
import { getKvsHostToken, getKvsToken, KVS_MODULE_OPTIONS } from './kvs.constants.js';
import type { KvsModuleOptions } from './kvs-module.options.js';
import { claimKvsName } from './kvs-names.registry.js';
import { KvsStoreHost } from './kvs-store.host.js';
import { instrumentStore } from './kvs-telemetry.js';
import { telemetryReady } from '../telemetry/telemetry.state.js';

/** forRoot/forRootAsync, with `name` and `isGlobal` known when the module is declared. */
export const { ConfigurableModuleClass: KvsConfigurableModule } =
  new ConfigurableModuleBuilder<KvsModuleOptions>({
    optionsInjectionToken: KVS_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createKvsOptions')
    .setExtras(
      { isGlobal: false, name: undefined as string | undefined },
      (definition, { isGlobal, name }) => ({
        ...definition,
        global: isGlobal,
        providers: [...(definition.providers ?? []), ...storeProviders(name)],
        exports: [getKvsToken(name)],
      }),
    )
    .build();

/** The host that owns the store (internal to the module) and the store itself (exported). */
function storeProviders(name: string | undefined): Provider[] {
  const host = getKvsHostToken(name);
  return [
    {
      provide: host,
      useFactory: async (options: KvsModuleOptions, app: ModulesContainer) => {
        claimKvsName(app, name);
        await telemetryReady();
        return KvsStoreHost.create(options, name);
      },
      inject: [KVS_MODULE_OPTIONS, ModulesContainer],
    },
    {
      provide: getKvsToken(name),
      useFactory: (h: KvsStoreHost): KvsStore => instrumentStore(h.store, name),
      inject: [host],
    },
  ];
}
