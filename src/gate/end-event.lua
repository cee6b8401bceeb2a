--[[ end-event: close an event now, if the gate holds it; an earlier end stays. The end is the earlier of
  the given time (the database's clock) and Redis's own TIME, the clock admit-claim reads: once this ran,
  no claim is admitted, whatever the two clocks say. Raises the event's generation (see admit-claim).
  KEYS[1] event
  ARGV[1] endsAtMs
  Returns 1 when the gate holds the event, 0 when it does not. ]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wanted = math.min(tonumber(ARGV[1]), nowMs)
local current = tonumber(redis.call('HGET', KEYS[1], 'endsAtMs') or '0')
if current == 0 or current > wanted then
  redis.call('HSET', KEYS[1], 'endsAtMs', wanted)
end
redis.call('HINCRBY', KEYS[1], 'generation', 1)
return 1
