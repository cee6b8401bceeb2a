--[[ resume-event: the last call of a repair (repair-event.ts): sets the counters from the claims the gate
  holds (counted by the repair while the event was paused), puts the staged free tickets in place of the
  returned list, so the whole stock can still be issued (promise 4), raises the event's generation and
  lets the event admit again.
  Counters are only raised by what is held, so a sold-out event reads sold out again (promise 6).
  On a sharded event (docs/scaling.md) the pool resumes first, then each leasing shard, whose lease it
  empties (the repair counted those tickets free in the pool).
  KEYS[1] event  KEYS[2] returned (a leasing shard's lease)  KEYS[3] staged free tickets
  ARGV[1] repairId  ARGV[2] the admitted counter when the count began  ARGV[3] admitted (claims held)
  ARGV[4] the ticket counter (the highest ticket held, or the counter when higher)  ARGV[5] free tickets staged
  ARGV[6] epoch: grants older than it are refused (surrender-lease.lua); a sweep starts afresh
  Returns {admitted, seq, returned}, {'CHANGED'} when a ticket was given back or a claim admitted since the
  count began (count again), or {'OVERTAKEN'} when another repair took over; nothing changes then. ]]
if redis.call('HGET', KEYS[1], 'pausedBy') ~= ARGV[1] then
  redis.call('DEL', KEYS[3])
  return {'OVERTAKEN'}
end
if tonumber(redis.call('HGET', KEYS[1], 'admitted') or '0') ~= tonumber(ARGV[2])
    or redis.call('LLEN', KEYS[3]) ~= tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[3])
  return {'CHANGED'}
end
local seq = math.max(tonumber(redis.call('HGET', KEYS[1], 'seq') or '0'), tonumber(ARGV[4]))
if tonumber(ARGV[5]) > 0 then
  redis.call('RENAME', KEYS[3], KEYS[2])
  redis.call('PERSIST', KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], 'seq', seq, 'admitted', ARGV[3], 'swept', 0)
if tonumber(ARGV[6]) > tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[6])
end
redis.call('HSET', KEYS[1], 'rebuiltEpoch', ARGV[6])
redis.call('HDEL', KEYS[1], 'pausedBy', 'pausedUntilMs')
-- Sold-out and ended verdicts remembered before the repair are stale (see admit-claim's generation).
redis.call('HINCRBY', KEYS[1], 'generation', 1)
return {tonumber(ARGV[3]), seq, redis.call('LLEN', KEYS[2])}
