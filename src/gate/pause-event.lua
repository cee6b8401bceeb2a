--[[ pause-event: the first call of a repair (repair-event.ts). Stops the event's admissions while the repair
  rebuilds it in chunks (admit-claim answers unavailable while pausedUntilMs lies ahead; each chunk pushes
  it on, so a repair that dies pauses the event no longer than pauseMs), loads the event's definition if the
  gate lost it, and takes over from a repair that was running (its next call finds itself overtaken).
  KEYS[1] event
  ARGV[1] repairId  ARGV[2] pauseMs  ARGV[3] stock  ARGV[4] perUserLimit  ARGV[5] startsAtMs
  ARGV[6] endsAtMs (0 = no end)  ARGV[7] shards (on the pool; '' on a leasing shard of a sharded event)
  Returns 1. ]]
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- A close reached the gate and not the database, or the reverse: the earlier end wins, as in end-event.
local current = tonumber(redis.call('HGET', KEYS[1], 'endsAtMs') or '0')
local wanted = tonumber(ARGV[6])
local endsAtMs = current
if wanted > 0 and (current == 0 or current > wanted) then endsAtMs = wanted end
if redis.call('HEXISTS', KEYS[1], 'stock') == 0 then
  redis.call('HSET', KEYS[1], 'startsAtMs', ARGV[5], 'seq', 0, 'admitted', 0)
end
-- A shard rebuilt from nothing must know its part: a leasing shard never numbers tickets of its own.
if ARGV[7] == '' then
  redis.call('HSET', KEYS[1], 'leasing', 1)
else
  redis.call('HSET', KEYS[1], 'shards', ARGV[7])
end
redis.call('HSET', KEYS[1], 'stock', ARGV[3], 'perUserLimit', ARGV[4], 'endsAtMs', endsAtMs,
  'pausedBy', ARGV[1], 'pausedUntilMs', nowMs + tonumber(ARGV[2]))
return 1
