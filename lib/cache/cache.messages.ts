/** Texts of the cache's errors and log lines, in one place. */

function reason(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export const cacheMessages = {
  notAMethod: (decorator: string, label: string): string =>
    `@${decorator}() on ${label}: it decorates instance methods only (not static methods, getters ` +
    'or fields). For other code, inject KvsCache and call wrap(key, fn).',

  unattached: (label: string): string =>
    `${label} was called on an instance that no KvsModule set up (created outside Nest, ` +
    'request-scoped or transient, or the application does not import KvsModule), so it runs ' +
    'without the cache. This is logged once per method.',

  scoped: (className: string, methods: readonly string[]): string =>
    `${className} is request-scoped (or depends on a request-scoped provider), so its ` +
    `cached methods (${methods.join(', ')}) run without the cache. Move them into a singleton ` +
    'provider, or inject KvsCache and call wrap(key, fn) inside them.',

  frozen: (className: string): string =>
    `The ${className} instance is frozen, so its cached methods run without the cache. Do not ` +
    'freeze providers with cached methods, or inject KvsCache and call wrap(key, fn) in them.',

  missingStore: (name: string | undefined, who = 'KvsCacheModule'): string =>
    `${who} found no ${name === undefined ? 'default store' : `store named ${JSON.stringify(name)}`}. ` +
    `Register it with KvsModule.forRoot(${name === undefined ? '' : `{ name: ${JSON.stringify(name)}, ... }`}) ` +
    'in the same application, or set the store option to a registered store name.',

  noChannel: (name: string | undefined, backend: string): string =>
    `The cache's local tier needs a store with an invalidation channel to stay coherent across ` +
    `instances, and the ${name === undefined ? 'default store' : `store ${JSON.stringify(name)}`} ` +
    `(backend ${JSON.stringify(backend)}) has none. Use the built-in Redis store, or drop the local option.`,

  localWithoutModule: (label: string): string =>
    `${label} asks for the local tier, but KvsCacheModule.forRoot() has no local option. Turn it ` +
    'on module-wide ({ local: true }), so that every write and eviction tells the other instances; ' +
    'a method can then opt out with local: false or tune it with { ttl, shared }.',

  localOnMemory: (name: string | undefined): string =>
    `local tier off for the ${name === undefined ? 'default store' : `store ${JSON.stringify(name)}`}: ` +
    'it is a memory store, whose hits already come from process memory.',

  channelDown: (name: string | undefined, ms: number, err?: unknown): string =>
    `The cache's local tier could not open its invalidation channel on the ${name === undefined ? 'default store' : `store ${JSON.stringify(name)}`} ` +
    (err === undefined ? `within ${ms} ms` : `(${reason(err)})`) +
    '. Check that Redis accepts SUBSCRIBE for this user, or drop the local option.',

  trackingFailed: (namespace: string, err: unknown): string =>
    `local.tracking: Redis does not track namespace ${JSON.stringify(namespace)}, so the local tier ` +
    `does not serve it (${reason(err)}).`,

  twice: (): string =>
    'KvsCacheModule is registered twice in this application. Call KvsCacheModule.forRoot() once ' +
    '(it is global); pick another store or namespace per method with @Cacheable({ store, namespace }).',

  badKey: (label: string, got: string): string =>
    `The key function of ${label} returned ${got}; it must return a non-empty string.`,

  storeFailed: (step: string, err: unknown): string =>
    `Cache store ${step} failed (${reason(err)}); calls go on without the cache until it recovers.`,

  decodeFailed: (key: string, err: unknown): string =>
    `Cannot decode the cached entry ${JSON.stringify(key)} (${reason(err)}); it is treated as a miss ` +
    'and overwritten. Did the codec change?',

  encodeFailed: (label: string, err: unknown): string =>
    `The result of ${label} was not cached: ${reason(err)}`,

  refreshFailed: (label: string, err: unknown): string =>
    `Background refresh of ${label} failed (${reason(err)}); the stale entry stays until it expires.`,
};
