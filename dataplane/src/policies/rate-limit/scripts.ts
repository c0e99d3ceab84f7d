/**
 * The Redis side of window.ts: the same whole-number arithmetic in Lua, run atomically per key
 * (EVALSHA through ioredis `defineCommand`), so concurrent proxies never lose an update and both
 * stores decide identically (limiter.redis.test.ts runs one table through both). Each script takes
 * one key and ARGV = limit, windowMs, now; an empty `now` uses the Redis server's clock (TIME), so
 * every replica counts on one clock. They return {allowed (0|1), remaining, retryAfterMs, resetMs}
 * (the request scripts one such group per hit: see `repeated`).
 * State is a hash that expires once it no longer matters.
 */

import { CHARGE_CAP } from './window';

const NOW = `
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Lua's tostring keeps 14 digits; whole numbers below 2^53 need up to 16. */
const NUM = `local function num(x) return string.format('%.17g', x) end`;

/**
 * Every sliding window's start (mirrors window.ts windowView): ARGV = limit, windowMs, now; loads
 * the key's state as idx, elapsed, curr and prev, the clock going back staying in the stored window.
 */
const WINDOW_VIEW = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
${NOW}
local idx = math.floor(now / w)
local elapsed = now - idx * w
local curr, prev = 0, 0
local s = redis.call('HMGET', key, 'w', 'c', 'p')
local sw = tonumber(s[1])
if sw then
  if sw > idx then
    idx = sw
    elapsed = 0
  end
  if sw == idx then
    curr = tonumber(s[2])
    prev = tonumber(s[3])
  elseif sw == idx - 1 then
    prev = tonumber(s[2])
  end
end
`;

/** Every sliding window's end: how long until the window is empty again, and the decision. */
const WINDOW_DECISION = `
local reset = 0
if curr > 0 then
  reset = 2 * w - elapsed
elseif prev > 0 then
  reset = w - elapsed
end
return {allowed, remaining, retry, reset}
`;

/**
 * Runs one request's hit `ARGV[4]` times in a row (default once), atomically, and returns the
 * decisions one after another, four numbers each: a proxy sends the hits of one key that arrive
 * together as one command, and they are decided exactly as if sent one by one.
 */
function repeated(hit: string): string {
  return `
${NUM}
local function hit()
${hit}
end
local out = {}
for _ = 1, tonumber(ARGV[4]) or 1 do
  local r = hit()
  for j = 1, 4 do out[#out + 1] = r[j] end
end
return out
`;
}

export const SLIDING_WINDOW_LUA = repeated(`
${WINDOW_VIEW}local allowed = 0
local retry = 0
if prev * (w - elapsed) + (curr + 1) * w <= limit * w then
  curr = curr + 1
  allowed = 1
  redis.call('HSET', key, 'w', num(idx), 'c', num(curr), 'p', num(prev))
  redis.call('PEXPIRE', key, 2 * w)
elseif curr + 1 <= limit then
  retry = w - elapsed - math.floor(((limit - curr - 1) * w) / prev)
else
  retry = w - elapsed + w - math.floor(((limit - 1) * w) / curr)
end
if allowed == 0 and retry < 1 then retry = 1 end
local remaining = math.max(0, math.floor((limit * w - prev * (w - elapsed) - curr * w) / w))
${WINDOW_DECISION}`);

export const TOKEN_BUCKET_LUA = repeated(`
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
${NOW}
local capacity = limit * w
local units = capacity
local ts = now
local s = redis.call('HMGET', key, 'u', 'ts')
local su = tonumber(s[1])
local sts = tonumber(s[2])
if su and sts then
  ts = math.max(sts, now)
  units = math.min(capacity, su + (ts - sts) * limit)
end
local allowed = 0
local retry = 0
if units >= w then
  units = units - w
  allowed = 1
  redis.call('HSET', key, 'u', num(units), 'ts', num(ts))
  redis.call('PEXPIRE', key, math.ceil((capacity - units) / limit) + 1)
else
  retry = math.ceil((w - units) / limit)
end
local remaining = math.floor(units / w)
local reset = math.ceil((capacity - units) / limit)
return {allowed, remaining, retry, reset}
`);

/*
 * The cost-weighted sliding window (window.ts costPeek / costCharge): ARGV = limit, windowMs, now,
 * then need (peek) or cost (charge). Same state hash as SLIDING_WINDOW_LUA, under its own keys.
 * COST_DECISION expects limit, w, elapsed, curr, prev and need; returns the decision as the other
 * scripts do.
 */
const COST_DECISION = `
local steps = math.min(w, 1000)
need = math.max(1, math.min(need, limit))
local k = math.floor((elapsed * steps) / w)
local used = prev * (steps - k) + curr * steps
local allowed = 0
local retry = 0
if used + need * steps <= limit * steps then
  allowed = 1
elseif curr + need <= limit then
  local step = steps - math.floor(((limit - curr - need) * steps) / prev)
  retry = math.ceil((step * w) / steps) - elapsed
else
  local step = steps - math.floor(((limit - need) * steps) / curr)
  retry = w - elapsed + math.ceil((step * w) / steps)
end
if allowed == 0 and retry < 1 then retry = 1 end
local remaining = math.max(0, math.floor((limit * steps - used) / steps))
${WINDOW_DECISION}`;

export const COST_PEEK_LUA = `
${WINDOW_VIEW}
local need = tonumber(ARGV[4])
${COST_DECISION}
`;

export const COST_CHARGE_LUA = `
${NUM}
${WINDOW_VIEW}
local cap = ${CHARGE_CAP} * limit
local cost = math.max(0, math.floor(tonumber(ARGV[4])))
curr = math.min(cap, curr + math.min(cap, cost))
redis.call('HSET', key, 'w', num(idx), 'c', num(curr), 'p', num(prev))
redis.call('PEXPIRE', key, 2 * w)
local need = 1
${COST_DECISION}
`;
