/**
 * `nestjs-kvs/session`: an express-session store on a nestjs-kvs store. Needs the optional peer
 * dependency `express-session`; the main entry never imports it.
 */
export { KvsSessionStore } from './kvs-session.store.js';
export type { KvsSessionStoreOptions, SessionSerializer } from './kvs-session.options.js';
