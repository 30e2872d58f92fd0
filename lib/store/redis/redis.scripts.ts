import { createHash } from 'node:crypto';

/** A Lua script run by SHA (EVALSHA), loaded again with EVAL when Redis answers NOSCRIPT. */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

/**
 * Defines a Lua script for {@link RedisStore.evalScript}; its SHA-1 is computed once, here.
 * Scripts should touch only the keys passed to them (on a Cluster: keys sharing a hash tag).
 */
export function defineScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * INCRBY that gives a new key its TTL and keeps results within JavaScript's safe integers.
 * It answers with the stored text, not an integer reply, so no client-side number parsing can
 * round the result.
 */
export const INCREMENT = defineScript(`
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value > 9007199254740991 or value < -9007199254740991 then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return redis.error_reply('KVS_RANGE counter out of the safe integer range')
end
if existed == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('GET', KEYS[1])
`);

/** PERSIST that tells an existing key without a TTL (1) from a missing key (0). */
export const PERSIST = defineScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1
`);

/** DEL only while the key still holds the expected value (a lock release). */
export const DELETE_IF_EQUALS = defineScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);
