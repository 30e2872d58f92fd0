/** The store floor of the Nest module (KvsModule itself is in lib/kvs): registers stores, names them, and closes the ones it created on shutdown. */
export { getKvsToken, KVS_STORE } from './kvs.constants.js';
export { InjectKvs } from './kvs.decorator.js';
export type {
  KvsModuleAsyncOptions,
  KvsModuleExtras,
  KvsModuleOptions,
  KvsModuleRootOptions,
  KvsOptionsFactory,
} from './kvs-module.options.js';
export type { LogSink } from '../shared/throttled-log.js';
export { KvsExceptionFilter, type KvsExceptionFilterOptions } from './kvs-exception.filter.js';
export { configureKvsTelemetry, type KvsTelemetryOptions } from './kvs-telemetry.js';
