/** The public API of nestjs-kvs. Nothing else is public. */
export * from './store/index.js';
export * from './module/index.js';
export * from './kvs/index.js';
export * from './rate-limit/index.js';
export * from './flags/index.js';
export * from './tokens/index.js';
export * from './cache/index.js';
