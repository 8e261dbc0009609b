-- merge.lua: add the requests a process admitted on its own while Redis was unreachable, exactly once.
-- The marker names this process's outage: a retried merge (its reply lost) finds it and adds nothing.
--
-- KEYS[1]     the epoch marker (missing: refill from the catalog first -> -1)
-- KEYS[2]     the merge marker
-- KEYS[3..m+2]  quota counters; KEYS[m+3..]  day usage hashes, one per day entry
-- ARGV[1]     the marker's TTL (ms); ARGV[2] m
-- ARGV[3..]   per quota counter: delta, TTL (ms); then per day entry: field, delta, TTL (s)
-- returns 1 merged | 0 merged before | -1 refill first

if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', tonumber(ARGV[1])) then
  return 0
end
local m = tonumber(ARGV[2])
local a = 3
for i = 1, m do
  redis.call('INCRBY', KEYS[2 + i], tonumber(ARGV[a]))
  redis.call('PEXPIRE', KEYS[2 + i], tonumber(ARGV[a + 1]))
  a = a + 2
end
for i = m + 3, #KEYS do
  redis.call('HINCRBY', KEYS[i], ARGV[a], tonumber(ARGV[a + 1]))
  if redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], tonumber(ARGV[a + 2]))
  end
  a = a + 3
end
return 1
