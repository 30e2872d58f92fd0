/** The public Nest module: stores, plus caching and rate limiting on them. */
export { KvsModule } from './kvs.module.js';
