/** Texts of the errors of batch caching (`KvsCache.wrapMany`, `@CacheableMany`), in one place. */

export const batchMessages = {
  wrongLength: (label: string, expected: number, got: number): string =>
    `The loader of ${label} resolved ${got} value${got === 1 ? '' : 's'} for ${expected} missing ` +
    `key${expected === 1 ? '' : 's'}. Resolve one value per key it was given, in their order ` +
    '(null for a key without one), or a Map from key to value. Nothing was cached.',

  notArrayOrMap: (label: string, got: string): string =>
    `The loader of ${label} resolved ${got}; it must resolve an array with one value per key it ` +
    'was given, in their order, or a Map from key to value. Nothing was cached.',

  notAMap: (label: string, got: string): string =>
    `${label} resolved ${got}, but @CacheableMany({ returns: 'map' }) needs a Map from id to ` +
    "value. Return a Map, or drop returns: 'map' and return the values in the ids' order. " +
    'Nothing was cached.',

  idsNotAnArray: (label: string, got: string): string =>
    `${label} (@CacheableMany) was called with ${got} as its first argument; it takes an array ` +
    "of ids, such as findByIds(['1', '2']).",

  paramNotAnArray: (label: string, type: string): string =>
    `@CacheableMany() on ${label}: the first parameter is declared as ${type}, but the ` +
    'decorator passes it the array of missing ids. Declare it as an array, e.g. ' +
    'findByIds(ids: string[], ...rest).',

  stringKey: (): string =>
    'Invalid @CacheableMany() option key: expected a function of one id (and the other ' +
    'arguments), such as (id: string) => `user:${id}`, got a string: every id needs a key of ' +
    'its own.',

  keysNotAnArray: (got: string): string =>
    `Invalid KvsCache.wrapMany() argument keys: expected an array of non-empty strings, got ${got}.`,
};
