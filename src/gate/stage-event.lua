--[[ stage-event: one chunk of a load (load-event.ts): users and free tickets the database holds, written to
  the loader's own staging keys while the event is not loaded. Nothing here makes the event admit: seed-event
  renames the staging keys into place and creates the event hash in one last small call.
  KEYS[1] event  KEYS[2] loading (the load lease: the loader's id)  KEYS[3] staged users (hash)
  KEYS[4] staged free tickets (list)
  ARGV[1] loaderId  ARGV[2] leaseMs (how long the lease and the staging keys live without another chunk)
  ARGV[3] n, then n pairs userId, "claimId:slot:seq,..." (appended to what the user has staged already),
  then the free tickets to push
  Returns the number of users new to the staging hash, or -1 when the event is loaded already or the lease
  is no longer this loader's (nothing staged). ]]
if redis.call('HEXISTS', KEYS[1], 'stock') == 1 or redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local leaseMs = tonumber(ARGV[2])
redis.call('PEXPIRE', KEYS[2], leaseMs)
local userCount = tonumber(ARGV[3])
local created = 0
for i = 4, 3 + 2 * userCount, 2 do
  local staged = redis.call('HGET', KEYS[3], ARGV[i])
  if staged then
    redis.call('HSET', KEYS[3], ARGV[i], staged .. ',' .. ARGV[i + 1])
  else
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    created = created + 1
  end
end
local firstTicket = 4 + 2 * userCount
-- unpack() has a stack limit: push in slices.
for i = firstTicket, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[4], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
-- Both staging keys live as long as the lease, whichever this chunk wrote.
redis.call('PEXPIRE', KEYS[3], leaseMs)
redis.call('PEXPIRE', KEYS[4], leaseMs)
return created
