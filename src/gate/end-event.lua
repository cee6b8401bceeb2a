--[[ end-event: close an event now, if the gate holds it; an earlier end stays.
  KEYS[1] event
  ARGV[1] endsAtMs
  Returns 1 when the gate holds the event, 0 when it does not. ]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'endsAtMs') or '0')
if current == 0 or current > tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'endsAtMs', ARGV[1])
end
return 1
