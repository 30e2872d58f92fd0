import { defineScript } from '../../store/index.js';
import { NOW_LUA } from './redis.script.js';

/**
 * Gives back each counter's cost (KEYS[i]: counter i; ARGV[1]: clock, see NOW_LUA; ARGV[4i-2 ..
 * 4i+1]: code, limit, window, cost), atomically. Mirrors memory.refund.ts. Replies 1 when some
 * counter would have refused a request of that cost before the refund, else 0.
 */
export const REFUND_SCRIPT = defineScript(`${NOW_LUA}
local full = 0
for i = 1, #KEYS do
  local at = 4 * i - 2
  local code = ARGV[at]
  local limit, window, cost = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local raw = redis.call('GET', KEYS[i])
  if raw and cost > 0 then
    local index = floor(now / window)
    local value, ttl
    if code == 'f' then
      local a, b = string.match(raw, '^(.-):(.*)$')
      a = tonumber(a); b = tonumber(b)
      if a >= index then
        if b + cost > limit then full = 1 end
        value = string.format('%.17g:%.17g', a, max(0, b - cost))
        ttl = ceil((index + 1) * window - now)
      end
    elseif code == 's' then
      local a, b, c = string.match(raw, '^(.-):(.-):(.*)$')
      a = tonumber(a); b = tonumber(b); c = tonumber(c)
      if a >= index - 1 then
        local elapsed = now - index * window
        local estimate = b * (1 - elapsed / window)
        if a >= index then estimate = c * (1 - elapsed / window) + b end
        if estimate + cost > limit + EPSILON then full = 1 end
        value = string.format('%.17g:%.17g:%.17g', a, max(0, b - cost), c)
        ttl = ceil((a + 2) * window - now)
      end
    elseif code == 'b' then
      local rate = limit / window
      local a, b = string.match(raw, '^(.-):(.*)$')
      local tokens = min(limit, tonumber(a) + max(0, now - tonumber(b)) * rate)
      if tokens + EPSILON < cost then full = 1 end
      local left = min(limit, tokens + cost)
      value = string.format('%.17g:%.17g', left, now)
      ttl = ceil((limit - left) / rate)
    else
      local interval = window / limit
      local debt = max(0, tonumber(raw) - now)
      if debt + cost * interval > window + EPSILON then full = 1 end
      local after = max(0, debt - cost * interval)
      value = string.format('%.17g', now + after)
      ttl = ceil(after)
    end
    if value then redis.call('SET', KEYS[i], value, 'PX', max(1, ttl)) end
  end
end
return full
`);

/** Deletes the counters and lockouts in KEYS, atomically. */
export const RESET_SCRIPT = defineScript(`return redis.call('DEL', unpack(KEYS))`);

/** Locks KEYS[1] out for ARGV[2] ms from now (ARGV[1]: clock, see NOW_LUA). */
export const BLOCK_SCRIPT = defineScript(`${NOW_LUA}
local ms = tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.17g', now + ms), 'PX', max(1, ceil(ms)))
return 1
`);
