/**
 * `nestjs-kvs/keyv`: a Keyv storage adapter on a nestjs-kvs store, for Keyv, cache-manager and
 * @nestjs/cache-manager. Needs the optional peer dependency `keyv` (5.x or 6.x); the main entry
 * never imports it.
 */
export {
  KvsKeyvAdapter,
  type KvsKeyvAdapterOptions,
  type KvsKeyvAdapterOpts,
  type KvsKeyvEntry,
} from './kvs-keyv.adapter.js';
export type { KeyvMajor, KvsKeyvCapabilities } from './kvs-keyv.contract.js';
