--[[ give-back: tickets come back to the pool (docs/scaling.md): the leases a sweep took back, a grant its
  claim did not use, or (with nothing to push) word that a dead claim's ticket went back to its shard's
  lease, so the next claim that finds the pool dry sweeps again.
  Tickets taken before the pool was last rebuilt (a load or a repair, which set rebuiltEpoch) are dropped:
  that rebuild counted them free already.
  KEYS[1] pool (event hash of shard 0)  KEYS[2] returned
  ARGV[1] 'sweep' | 'grant' | 'reopen'  ARGV[2] the sweep's or the grant's epoch ('' for reopen)
  ARGV[3..] ticket entries (see ticket-ranges.lua)
  Returns {pushed, wasSoldOut}: wasSoldOut 1 when claims were told sold out before these tickets came, so
  a restock notice must go out; {-1, 0} when the gate lost the pool (a load will count the tickets free). ]]
local ev = redis.call('HMGET', KEYS[1], 'stock', 'seq', 'swept', 'epoch', 'rebuiltEpoch')
if not ev[1] then return {-1, 0} end
local isReopen = ARGV[1] == 'reopen'
local isStale = not isReopen and tonumber(ARGV[2]) < tonumber(ev[5] or '0')
local pushed = 0
if not isStale then pushed = #ARGV - 2 end
local wasSoldOut = ev[3] == '1' and redis.call('LLEN', KEYS[2]) == 0 and tonumber(ev[2] or '0') >= tonumber(ev[1])
-- unpack() has a stack limit: push in slices.
for i = 3, 2 + pushed, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if ARGV[1] == 'sweep' and tonumber(ARGV[2]) == tonumber(ev[4] or '0') then
  redis.call('HSET', KEYS[1], 'swept', 1)
  redis.call('HDEL', KEYS[1], 'sweepingSinceMs')
elseif isReopen then
  -- A sweep under way may have passed that shard already: it must not mark the pool swept.
  redis.call('HSET', KEYS[1], 'swept', 0)
  redis.call('HINCRBY', KEYS[1], 'epoch', 1)
  redis.call('HDEL', KEYS[1], 'sweepingSinceMs')
end
local isRestock = pushed > 0 or isReopen
if isRestock then redis.call('HINCRBY', KEYS[1], 'generation', 1) end
return {pushed, (wasSoldOut and isRestock) and 1 or 0}
