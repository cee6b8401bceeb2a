--[[ return-ticket: give back the ticket and the user's slot of a claim that can never be issued, so the
  stock is not lost (promise 4). Idempotent: a claim the user no longer holds is not returned twice.
  On a leasing shard of a sharded event the ticket joins the shard's lease (the caller then tells the pool,
  see give-back.lua), except while a repair counts the shard.
  KEYS[1] event  KEYS[2] users  KEYS[3] returned (a leasing shard's lease)
  ARGV[1] userId  ARGV[2] claimId  ARGV[3] seq
  Returns 1 when returned, 0 when the claim was not held, -1 when a leasing shard is paused (try again). ]]
local ev = redis.call('HMGET', KEYS[1], 'leasing', 'pausedUntilMs')
if ev[1] == '1' and ev[2] then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) < tonumber(ev[2]) then return -1 end
end
local kept = {}
local found = false
for _, entry in ipairs(readHeldClaims(KEYS[2], ARGV[1])) do
  if parseHeldClaim(entry) == ARGV[2] then found = true else kept[#kept + 1] = entry end
end
if not found then return 0 end
writeHeldClaims(KEYS[2], ARGV[1], kept)
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('HINCRBY', KEYS[1], 'admitted', -1)
-- A restock: a sold-out verdict from before it is stale (see admit-claim's generation).
redis.call('HINCRBY', KEYS[1], 'generation', 1)
return 1
