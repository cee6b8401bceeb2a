--[[ seed-event: the last call of a load (load-event.ts): moves the loader's staged users and free tickets
  into place and creates the event hash, which is what makes the event admit claims. Several processes may
  race to load an event after Redis lost it: the first to get here wins, and a later call only drops its
  own staging keys, never resetting the winner's counters. Small whatever the event's size: RENAME is O(1).
  One call per shard of a sharded event (docs/scaling.md): the pool (shard 0) last, since it is what lets
  the other shards lease tickets.
  KEYS[1] event  KEYS[2] users  KEYS[3] returned (a leasing shard's lease: emptied)  KEYS[4] loading (the load lease)
  KEYS[5] staged users  KEYS[6] staged free tickets
  ARGV[1] loaderId  ARGV[2] stock  ARGV[3] perUserLimit  ARGV[4] startsAtMs  ARGV[5] endsAtMs (0 = no end)
  ARGV[6] seq (the highest ticket the database holds)  ARGV[7] admitted (the claims it holds)
  ARGV[8] users staged  ARGV[9] free tickets staged  ARGV[10] shards (on the pool; '' on a leasing shard)
  ARGV[11] epoch (grants older than it are refused, see surrender-lease.lua)
  Returns 1 when seeded, 0 when the event was loaded already, -1 when this loader lost its lease or its
  staging keys expired (nothing loaded; load again). ]]
local function dropStaging() redis.call('DEL', KEYS[5], KEYS[6]) end
if redis.call('HEXISTS', KEYS[1], 'stock') == 1 then
  dropStaging()
  if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
  return 0
end
if redis.call('GET', KEYS[4]) ~= ARGV[1] or redis.call('HLEN', KEYS[5]) ~= tonumber(ARGV[8])
    or redis.call('LLEN', KEYS[6]) ~= tonumber(ARGV[9]) then
  dropStaging()
  return -1
end
-- Leftovers of a partial loss are replaced by what the database holds; the staged keys lose their expiry.
if tonumber(ARGV[8]) > 0 then
  redis.call('RENAME', KEYS[5], KEYS[2])
  redis.call('PERSIST', KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
if tonumber(ARGV[9]) > 0 then
  redis.call('RENAME', KEYS[6], KEYS[3])
  redis.call('PERSIST', KEYS[3])
else
  redis.call('DEL', KEYS[3])
end
-- A close that reached the event hash before the load (end-event) stays: the earlier end wins.
local endsAtMs = tonumber(ARGV[5])
local closedAtMs = tonumber(redis.call('HGET', KEYS[1], 'endsAtMs') or '0')
if closedAtMs > 0 and (endsAtMs == 0 or closedAtMs < endsAtMs) then endsAtMs = closedAtMs end
redis.call('HSET', KEYS[1], 'stock', ARGV[2], 'perUserLimit', ARGV[3], 'startsAtMs', ARGV[4], 'endsAtMs', endsAtMs,
  'seq', ARGV[6], 'admitted', ARGV[7], 'epoch', ARGV[11], 'rebuiltEpoch', ARGV[11])
if ARGV[10] == '' then
  redis.call('HSET', KEYS[1], 'leasing', 1)
else
  redis.call('HSET', KEYS[1], 'shards', ARGV[10], 'swept', 0)
end
redis.call('DEL', KEYS[4])
return 1
