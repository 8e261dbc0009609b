-- admit.lua: admit a batch of requests in order, each as if alone: take one token from every bucket and
-- count one request against the quota, all or nothing per request. One script call per batch (the
-- requests one process coalesced in one event-loop tick, counters_batch.py); the script is atomic, so each
-- request's answer is exactly the one it would get from a call of its own, in this order.
-- The arithmetic is usage/limiter.py's (token bucket refill, retry-after), held to it by one contract suite.
--
-- KEYS[1]     the epoch marker: missing means this Redis lost its data (restarted empty), and nothing is
--             counted until the caller refilled the counts from the catalog (refill.lua sets it)
-- KEYS[2..]   token buckets (hashes {t = tokens, a = the time t was computed}), quota counters of the
--             current windows and the days' usage hashes, each named once and referred to by index below
-- ARGV[1]     s, the number of limit specs; then each spec:
--               n, then n x (bucket key index, rate (tokens/s), burst),
--               quota key index (0: no quota), limit, expires_at (wall seconds)
-- then        the day hash's TTL in seconds, then per request (to the end):
--               now (wall seconds, from the gateway's clock: tests drive it), spec number (1-based),
--               day hash key index (0: no usage record), the usage record's field "{key id}|{plan}"
-- returns     {code_1, value_1, code_2, value_2, ...}, per request: 0 admitted (value: quota used, this
--             request included) | 1 throttled (retry-after ms) | 2 quota exceeded (used);
--             or {3} for the whole batch: refill first
--
-- Every key is read once and written once per batch: the states live in Lua tables meanwhile.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return {3}
end

local specs = {}
local a = 2
for s = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  local bs = {}
  for i = 1, n do
    bs[i] = {k = tonumber(ARGV[a + 3 * i - 2]), rate = tonumber(ARGV[a + 3 * i - 1]), burst = tonumber(ARGV[a + 3 * i])}
  end
  a = a + 3 * n + 1
  specs[s] = {buckets = bs, q = tonumber(ARGV[a]), limit = tonumber(ARGV[a + 1]), expires = tonumber(ARGV[a + 2])}
  a = a + 3
end
local day_ttl = tonumber(ARGV[a])
a = a + 1

local buckets = {}  -- key index -> {t, at, rate, burst, written}
local quotas = {}   -- key index -> {used, added, ttl}
local days = {}     -- key index -> {field -> added}

local function bucket(b, now)
  local state = buckets[b.k]
  if state == nil then
    local raw = redis.call('HMGET', KEYS[b.k], 't', 'a')
    state = {}
    if raw[1] then
      state.t = tonumber(raw[1])
      state.at = tonumber(raw[2])
    end
    buckets[b.k] = state
  end
  if state.t == nil then
    return b.burst, now
  end
  local elapsed = now - state.at
  if elapsed < 0 then elapsed = 0 end
  local at = now
  if state.at > now then at = state.at end
  return math.min(b.burst, state.t + elapsed * b.rate), at
end

local function quota(k)
  local state = quotas[k]
  if state == nil then
    state = {used = tonumber(redis.call('GET', KEYS[k]) or '0'), added = 0}
    quotas[k] = state
  end
  return state
end

local out = {}
while a <= #ARGV do
  local now = tonumber(ARGV[a])
  local spec = specs[tonumber(ARGV[a + 1])]
  local day = tonumber(ARGV[a + 2])
  local field = ARGV[a + 3]
  a = a + 4
  local tokens = {}
  local stamps = {}
  local wait = 0
  for i, b in ipairs(spec.buckets) do
    tokens[i], stamps[i] = bucket(b, now)
    if tokens[i] < 1 then
      local w = (1 - tokens[i]) / b.rate
      if w > wait then wait = w end
    end
  end
  local q = nil
  if spec.q > 0 then q = quota(spec.q) end
  if wait > 0 then
    out[#out + 1] = 1
    out[#out + 1] = math.ceil(wait * 1000)
  elseif q ~= nil and q.used + 1 > spec.limit then
    out[#out + 1] = 2
    out[#out + 1] = q.used
  else
    for i, b in ipairs(spec.buckets) do
      local state = buckets[b.k]
      state.t = tokens[i] - 1
      state.at = stamps[i]
      state.ttl = math.ceil(b.burst / b.rate * 1000) + 1000
    end
    local used = 0
    if q ~= nil then
      q.used = q.used + 1
      q.added = q.added + 1
      -- relative to the caller's clock (which tests drive), with an hour's margin for clocks that differ
      local ttl = math.ceil((spec.expires - now) * 1000)
      if ttl < 0 then ttl = 0 end
      q.ttl = ttl + 3600000
      used = q.used
    end
    if day > 0 then
      local fields = days[day]
      if fields == nil then
        fields = {}
        days[day] = fields
      end
      fields[field] = (fields[field] or 0) + 1
    end
    out[#out + 1] = 0
    out[#out + 1] = used
  end
end

for k, state in pairs(buckets) do
  if state.ttl then
    redis.call('HSET', KEYS[k], 't', string.format('%.17g', state.t), 'a', string.format('%.17g', state.at))
    redis.call('PEXPIRE', KEYS[k], state.ttl)
  end
end
for k, state in pairs(quotas) do
  if state.added > 0 then
    redis.call('INCRBY', KEYS[k], state.added)
    redis.call('PEXPIRE', KEYS[k], state.ttl)
  end
end
for k, fields in pairs(days) do
  for field, added in pairs(fields) do
    redis.call('HINCRBY', KEYS[k], field, added)
  end
  if redis.call('TTL', KEYS[k]) < 0 then
    redis.call('EXPIRE', KEYS[k], day_ttl)
  end
end
return out
