-- refill.lua: a Redis that lost its data (restarted without persistence) gets the counts back from the
-- catalog, once: the epoch marker is set in the same script, and a refill that finds it does nothing.
-- Until then admit.lua and merge.lua count nothing, so the counters are empty here.
--
-- KEYS[1]     the epoch marker
-- KEYS[2..m+1]  quota counters; KEYS[m+2..]  day usage hashes, one per day entry
-- ARGV[1]     the new epoch; ARGV[2] m
-- ARGV[3..]   per quota counter: used, TTL (ms); then per day entry: field, used, TTL (s)
-- returns 1 refilled | 0 already done

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local m = tonumber(ARGV[2])
local a = 3
for i = 1, m do
  redis.call('SET', KEYS[1 + i], tonumber(ARGV[a]), 'PX', tonumber(ARGV[a + 1]))
  a = a + 2
end
for i = m + 2, #KEYS do
  redis.call('HSET', KEYS[i], ARGV[a], tonumber(ARGV[a + 1]))
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[a + 2]))
  a = a + 3
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
