/**
 * `nestjs-kvs/keyv`: a Keyv storage adapter on a nestjs-kvs store, for Keyv, cache-manager and
 * @nestjs/cache-manager. Needs the optional peer dependency `keyv` (5.x); the main entry never
 * imports it.
 */
export {
  KvsKeyvAdapter,
  type KvsKeyvAdapterOptions,
  type KvsKeyvAdapterOpts,
} from './kvs-keyv.adapter.js';
