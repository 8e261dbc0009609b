-- admit.lua: take one token from every bucket and count one request against the quota; all or nothing.
-- The arithmetic is usage/limiter.py's (token bucket refill, retry-after), held to it by one contract suite.
--
-- KEYS[1]     the epoch marker: missing means this Redis lost its data (restarted empty), and nothing is
--             counted until the caller refilled the counts from the catalog (refill.lua sets it)
-- KEYS[2..n+1]  token buckets: hashes {t = tokens, a = the time t was computed}
-- KEYS[n+2]   the quota counter of the current window (when ARGV[3+2n] == "1")
-- KEYS[n+3]   the day's usage hash, field "{key id}|{plan}" (when ARGV[6+2n] is not "")
-- ARGV[1]     now, wall seconds (from the gateway's clock: tests drive it)
-- ARGV[2]     n
-- ARGV[1+2i], ARGV[2+2i]   rate_i (tokens/s), burst_i
-- ARGV[3+2n], ARGV[4+2n], ARGV[5+2n]   has_quota ("1"/"0"), limit, expires_at (wall seconds)
-- ARGV[6+2n], ARGV[7+2n]   the usage record's field ("" for none), the day hash's TTL in seconds
-- returns {0, used} admitted | {1, retry_after_ms} throttled | {2, used} quota exceeded | {3, 0} refill first

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {3, 0}
end

local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local tokens = {}
local stamps = {}
local wait = 0
for i = 1, n do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  local state = redis.call('HMGET', KEYS[i + 1], 't', 'a')
  local t = burst
  local at = now
  if state[1] then
    local last = tonumber(state[2])
    local elapsed = now - last
    if elapsed < 0 then elapsed = 0 end
    t = math.min(burst, tonumber(state[1]) + elapsed * rate)
    if last > now then at = last end
  end
  tokens[i] = t
  stamps[i] = at
  if t < 1 then
    local w = (1 - t) / rate
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return {1, math.ceil(wait * 1000)}
end

local q = 3 + 2 * n
local has_quota = ARGV[q] == '1'
local used = 0
if has_quota then
  used = tonumber(redis.call('GET', KEYS[n + 2]) or '0')
  if used + 1 > tonumber(ARGV[q + 1]) then
    return {2, used}
  end
end

for i = 1, n do
  local rate = tonumber(ARGV[1 + 2 * i])
  local burst = tonumber(ARGV[2 + 2 * i])
  redis.call('HSET', KEYS[i + 1], 't', string.format('%.17g', tokens[i] - 1), 'a', string.format('%.17g', stamps[i]))
  redis.call('PEXPIRE', KEYS[i + 1], math.ceil(burst / rate * 1000) + 1000)
end
if has_quota then
  used = redis.call('INCR', KEYS[n + 2])
  -- relative to the caller's clock (which tests drive), with an hour's margin for clocks that differ
  local ttl = math.ceil((tonumber(ARGV[q + 2]) - now) * 1000)
  if ttl < 0 then ttl = 0 end
  redis.call('PEXPIRE', KEYS[n + 2], ttl + 3600000)
end
if ARGV[q + 3] ~= '' then
  redis.call('HINCRBY', KEYS[n + 3], ARGV[q + 3], 1)
  if redis.call('TTL', KEYS[n + 3]) < 0 then
    redis.call('EXPIRE', KEYS[n + 3], tonumber(ARGV[q + 4]))
  end
end
return {0, used}
