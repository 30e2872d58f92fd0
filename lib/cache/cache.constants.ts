/** Token of the cache module's options (internal to the module). */
export const KVS_CACHE_OPTIONS = 'KVS_CACHE_OPTIONS';
