import { defineScript } from '../../store/index.js';

/**
 * One throttling decision, atomically, with @nestjs/throttler's semantics: a hit counts for `ttl`
 * ms after it happened (a sliding log); over the limit, the key is blocked for `blockDuration` ms
 * and blocked requests are not counted; when the block ends, counting starts again from zero.
 * With no block duration, a request over the limit is refused without being counted.
 *
 * KEYS[1] hits: sorted set, member = sequence number, score = when the hit expires (ms).
 * KEYS[2] state: hash, w = end of the reporting window, b = end of the block, n = sequence.
 * ARGV: ttl ms, limit, block duration ms, now ms ('' = the Redis server's clock).
 * Returns { totalHits, timeToExpire s, isBlocked 0/1, timeToBlockExpire s }.
 * Both keys share a hash tag, so the script runs on a Redis Cluster too.
 */
export const THROTTLE = defineScript(`
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local block = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local state = redis.call('HMGET', KEYS[2], 'w', 'b')
local window = tonumber(state[1]) or 0
local blocked_until = tonumber(state[2]) or 0
if window <= now then window = now + ttl end

local function hit()
  local seq = redis.call('HINCRBY', KEYS[2], 'n', 1)
  redis.call('ZADD', KEYS[1], now + ttl, seq)
end

local hits = redis.call('ZCARD', KEYS[1])
local blocked = false
local retry = 0
if block <= 0 then
  blocked = hits >= limit
  if blocked then
    hits = hits + 1
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    retry = math.ceil(((tonumber(oldest[2]) or window) - now) / 1000)
  else
    hit()
    hits = hits + 1
  end
else
  if blocked_until > 0 and blocked_until <= now then
    blocked_until = 0
    redis.call('DEL', KEYS[1])
    hits = 0
  end
  blocked = blocked_until > 0
  if not blocked then
    hit()
    hits = hits + 1
    if hits > limit then
      blocked = true
      blocked_until = now + block
    end
  end
  if blocked then retry = math.ceil((blocked_until - now) / 1000) end
end
redis.call('HSET', KEYS[2], 'w', window, 'b', blocked_until)
local keep = math.max(ttl, window - now, blocked_until - now)
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return { hits, math.ceil((window - now) / 1000), blocked and 1 or 0, retry }
`);
