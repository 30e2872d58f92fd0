/**
 * `nestjs-kvs/throttler`: @nestjs/throttler's `ThrottlerStorage` on a nestjs-kvs store, atomic on
 * Redis. Needs the optional peer dependency `@nestjs/throttler` (6.x); the main entry never
 * imports it.
 */
export { KvsThrottlerStorage, type KvsThrottlerStorageOptions } from './kvs-throttler.storage.js';
