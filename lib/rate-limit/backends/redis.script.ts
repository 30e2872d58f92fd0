import { defineScript } from '../../store/index.js';

/**
 * One rate-limit decision over every policy of a request, atomically, in one round trip.
 *
 * KEYS[i]: the counter of policy i (all of one decision share a hash tag, for Redis Cluster).
 * ARGV[1]: '' to read the clock from Redis (TIME), or a time in ms (tests only).
 * ARGV[4i-2 .. 4i+1]: policy i's algorithm code (f, s, b), limit, window (ms) and cost.
 *
 * It evaluates every counter first and writes only if all of them admit the request, so a rejected
 * request spends nothing. Reply: { allowed, then per policy: allowed, remaining, resetMs, retryAfterMs };
 * when the decision is refused, a policy that would have admitted the request reports its state
 * unspent (`keep`). The arithmetic mirrors memory.algorithms.ts exactly (one test runs both on
 * the same timeline); states are text written with %.17g, so a double survives the round trip.
 * Written inline, without helper functions or per-counter tables, because it runs on every request.
 */
export const RATE_LIMIT_SCRIPT = defineScript(`
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local EPSILON = 1e-9
local HALF_EPSILON = EPSILON / 2
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
local n = #KEYS
local reply = {1}
local writes = {}
local keep
local all = true
for i = 1, n do
  local at = 4 * i - 2
  local code = ARGV[at]
  local limit, window, cost = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local raw = redis.call('GET', KEYS[i])
  local allowed, remaining, reset, retry, keepRemaining, keepReset, value, ttl
  if code == 's' then
    local index = floor(now / window)
    local elapsed = now - index * window
    local current, previous = 0, 0
    if raw then
      local a, b, c = string.match(raw, '^(.-):(.-):(.*)$')
      a = tonumber(a)
      if a >= index then current = tonumber(b); previous = tonumber(c)
      elseif a == index - 1 then previous = tonumber(b) end
    end
    local estimate = previous * (1 - elapsed / window) + current
    local full = 0
    if previous > 0 then full = ceil((index + 1) * window - now) end
    local later = ceil((index + 2) * window - now)
    allowed = estimate + cost <= limit + EPSILON
    if allowed then
      keepRemaining = max(0, floor(limit - estimate + EPSILON))
      if current > 0 then keepReset = later else keepReset = full end
      if cost > 0 then
        current = current + cost
        estimate = estimate + cost
        value = string.format('%.17g:%.17g:%.17g', index, current, previous)
        ttl = later
      end
      retry = 0
    else
      local room = limit - cost + HALF_EPSILON
      local wait = -1
      if current <= room and previous > 0 then
        local x = window * (1 - (room - current) / previous)
        if x < window then wait = x - elapsed end
      end
      if wait < 0 then
        local y = 0
        if current > 0 then y = window * (1 - room / current) end
        wait = window - elapsed + max(0, y)
      end
      retry = ceil(wait)
    end
    remaining = max(0, floor(limit - estimate + EPSILON))
    if current > 0 then reset = later else reset = full end
  elseif code == 'f' then
    local index = floor(now / window)
    local count = 0
    if raw then
      local a, b = string.match(raw, '^(.-):(.*)$')
      if tonumber(a) >= index then count = tonumber(b) end
    end
    local finish = ceil((index + 1) * window - now)
    allowed = count + cost <= limit
    if allowed then
      keepRemaining = limit - count
      if count > 0 then keepReset = finish else keepReset = 0 end
      if cost > 0 then
        count = count + cost
        value = string.format('%.17g:%.17g', index, count)
        ttl = finish
      end
      retry = 0
    else
      retry = finish
    end
    remaining = max(0, limit - count)
    if count > 0 then reset = finish else reset = 0 end
  else
    local rate = limit / window
    local tokens = limit
    if raw then
      local a, b = string.match(raw, '^(.-):(.*)$')
      tokens = min(limit, tonumber(a) + max(0, now - tonumber(b)) * rate)
    end
    allowed = tokens + EPSILON >= cost
    if allowed then
      keepRemaining = max(0, floor(tokens + EPSILON))
      keepReset = ceil((limit - tokens) / rate)
      if cost > 0 then
        tokens = tokens - cost
        value = string.format('%.17g:%.17g', tokens, now)
        ttl = ceil((limit - tokens) / rate)
      end
      retry = 0
    else
      retry = ceil((cost - tokens - HALF_EPSILON) / rate)
    end
    remaining = max(0, floor(tokens + EPSILON))
    reset = ceil((limit - tokens) / rate)
  end
  local o = 4 * i - 2
  if allowed then
    reply[o] = 1
    if value then writes[i] = value; writes[n + i] = max(1, ttl) end
    if n > 1 then
      keep = keep or {}
      keep[i] = keepRemaining; keep[n + i] = keepReset
    end
  else
    reply[o] = 0
    all = false
  end
  reply[o + 1] = remaining
  reply[o + 2] = reset
  reply[o + 3] = retry
end
if all then
  for i = 1, n do
    if writes[i] then redis.call('SET', KEYS[i], writes[i], 'PX', writes[n + i]) end
  end
else
  reply[1] = 0
  if keep then
    for i = 1, n do
      if keep[i] then reply[4 * i - 1] = keep[i]; reply[4 * i] = keep[n + i] end
    end
  end
end
return reply
`);
