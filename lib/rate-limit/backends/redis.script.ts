import { defineScript } from '../../store/index.js';

/** Reads the clock: ARGV[1] is '' (Redis's TIME) or a time in ms (tests only). */
export const NOW_LUA = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local EPSILON = 1e-9
local HALF_EPSILON = EPSILON / 2
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
`;

/**
 * One rate-limit decision over every policy of a request, atomically, in one round trip.
 *
 * KEYS[i], i <= n: the counter of policy i; KEYS[n + i]: the lockout key of its key (all keys of
 * one decision share a hash tag, for Redis Cluster).
 * ARGV[1]: '' to read the clock from Redis (TIME), or a time in ms (tests only).
 * ARGV[2]: 'spend' to decide, 'peek' to answer without spending or locking anything.
 * ARGV[5i-2 .. 5i+2]: policy i's algorithm code (f, s, b, g), limit, window (ms), cost, block (ms).
 *
 * It evaluates every counter first and writes only if all of them admit the request (and no key
 * is locked), so a refused request spends nothing. Reply: { allowed, then per policy: allowed,
 * remaining, resetMs, retryAfterMs }; an unspent decision reports every counter unspent, a
 * refusal by a policy with `block` locks its key, and every policy of a locked key reads refused
 * until the lockout ends (as lockouts.ts does for memory). The arithmetic mirrors
 * memory.algorithms.ts exactly (one test runs both on the same timeline); states are text
 * written with %.17g, so a double survives the round trip. Written inline, without helper
 * functions, because it runs on every request.
 */
export const RATE_LIMIT_SCRIPT = defineScript(`${NOW_LUA}
local spend = ARGV[2] == 'spend'
local n = #KEYS / 2
local reply = {1}
local spent = {}
local locked = {}
local ok = {}
local all = true
for i = 1, n do
  local at = 5 * i - 2
  local code = ARGV[at]
  local limit, window, cost = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local raw = redis.call('GET', KEYS[i])
  local allowed, remaining, reset, retry, spentRemaining, spentReset, value, ttl
  retry = 0
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
      if cost > 0 then
        spentRemaining = max(0, floor(limit - (estimate + cost) + EPSILON))
        spentReset = later
        value = string.format('%.17g:%.17g:%.17g', index, current + cost, previous)
        ttl = later
      end
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
      if cost > 0 then
        spentRemaining = max(0, limit - (count + cost))
        spentReset = finish
        value = string.format('%.17g:%.17g', index, count + cost)
        ttl = finish
      end
    else
      retry = finish
    end
    remaining = max(0, limit - count)
    if count > 0 then reset = finish else reset = 0 end
  elseif code == 'b' then
    local rate = limit / window
    local tokens = limit
    if raw then
      local a, b = string.match(raw, '^(.-):(.*)$')
      tokens = min(limit, tonumber(a) + max(0, now - tonumber(b)) * rate)
    end
    allowed = tokens + EPSILON >= cost
    if allowed then
      if cost > 0 then
        local left = tokens - cost
        spentRemaining = max(0, floor(left + EPSILON))
        spentReset = ceil((limit - left) / rate)
        value = string.format('%.17g:%.17g', left, now)
        ttl = spentReset
      end
    else
      retry = ceil((cost - tokens - HALF_EPSILON) / rate)
    end
    remaining = max(0, floor(tokens + EPSILON))
    reset = ceil((limit - tokens) / rate)
  else
    local interval = window / limit
    local debt = 0
    if raw then debt = max(0, tonumber(raw) - now) end
    local after = debt + cost * interval
    allowed = after <= window + EPSILON
    if allowed then
      if cost > 0 then
        spentRemaining = max(0, floor((window - after) / interval + EPSILON))
        spentReset = ceil(after)
        value = string.format('%.17g', now + after)
        ttl = spentReset
      end
    else
      retry = ceil(after - window - HALF_EPSILON)
    end
    remaining = max(0, floor((window - debt) / interval + EPSILON))
    reset = ceil(debt)
  end
  local lock = tonumber(redis.call('GET', KEYS[n + i]) or '0')
  if lock <= now then lock = 0 end
  locked[i] = lock
  ok[i] = allowed
  if not allowed or lock > 0 then all = false end
  if value then spent[i] = {value, max(1, ttl), spentRemaining, spentReset} end
  local o = 4 * i - 2
  if allowed then reply[o] = 1 else reply[o] = 0 end
  reply[o + 1] = remaining
  reply[o + 2] = reset
  reply[o + 3] = retry
end
if all and spend then
  for i = 1, n do
    local s = spent[i]
    if s then
      redis.call('SET', KEYS[i], s[1], 'PX', s[2])
      reply[4 * i - 1] = s[3]; reply[4 * i] = s[4]
    end
  end
  return reply
end
if not all then reply[1] = 0 end
local set, ends = {}, {}
for i = 1, n do
  local key, before = KEYS[n + i], locked[i]
  if before > 0 then ends[key] = max(ends[key] or 0, before) end
  local block = tonumber(ARGV[5 * i + 2])
  if spend and before == 0 and not ok[i] and block > 0 then
    local e = now + block
    if e > (set[key] or 0) then set[key] = e end
    if e > (ends[key] or 0) then ends[key] = e end
  end
end
for key, e in pairs(set) do
  redis.call('SET', key, string.format('%.17g', e), 'PX', max(1, ceil(e - now)))
end
for i = 1, n do
  local e = ends[KEYS[n + i]]
  if e then
    local o, wait = 4 * i - 2, ceil(e - now)
    reply[o] = 0; reply[o + 1] = 0
    reply[o + 2] = max(reply[o + 2], wait); reply[o + 3] = max(reply[o + 3], wait)
  end
end
return reply
`);
