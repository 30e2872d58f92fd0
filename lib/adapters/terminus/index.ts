/**
 * `nestjs-kvs/terminus`: a @nestjs/terminus health indicator for nestjs-kvs stores. Needs the
 * optional peer dependency `@nestjs/terminus` (11 or 12); the main entry never imports it.
 */
export { KvsHealthIndicator, type KvsHealthCheckOptions } from './kvs.health.js';
