/** The public API of nestjs-kvs. Nothing else is public. */
export * from './store/index.js';
export * from './module/index.js';
