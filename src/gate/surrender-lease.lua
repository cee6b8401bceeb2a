--[[ surrender-lease: a leasing shard gives its whole lease back to whoever sweeps (docs/scaling.md), and
  from now on refuses grants older than the sweep's epoch: a grant in flight when the sweep began cannot
  land here after it.
  KEYS[1] shard (event hash)  KEYS[2] lease
  ARGV[1] epoch
  Returns the lease's entries (see ticket-ranges.lua), for give-back on the pool. ]]
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
end
local entries = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return entries
