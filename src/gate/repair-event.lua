--[[ repair-event: bring an event's gate in line with the database after Redis lost data (reconcile
  --repair). Loads the event if the gate lost it, drops the dead claims it still holds, adds the claims the
  database holds (coupons, claims being retried) that it does not, then recounts from the claims held:
  `admitted` is their number, the ticket counter at least their highest ticket, and every ticket within
  stock that no claim holds goes to the returned list, so the whole stock can still be issued (promise 4).
  Counters are only raised by what is held, so a sold-out event reads sold out again (promise 6).
  KEYS[1] event  KEYS[2] users  KEYS[3] returned
  ARGV[1] stock  ARGV[2] perUserLimit  ARGV[3] startsAtMs  ARGV[4] endsAtMs (0 = no end)
  ARGV[5] n: the number of dead claims, then n pairs userId, claimId of dead claims to drop,
  then pairs userId, "claimId:slot:seq" of database claims to hold
  Returns {admitted, seq, returned}: claims held, the ticket counter, tickets in the returned list. ]]
local stock = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'startsAtMs', ARGV[3], 'endsAtMs', ARGV[4], 'seq', 0, 'admitted', 0)
else
  -- A close reached the gate and not the database, or the reverse: the earlier end wins, as in end-event.
  local current = tonumber(redis.call('HGET', KEYS[1], 'endsAtMs') or '0')
  local wanted = tonumber(ARGV[4])
  if wanted > 0 and (current == 0 or current > wanted) then redis.call('HSET', KEYS[1], 'endsAtMs', wanted) end
end
redis.call('HSET', KEYS[1], 'stock', ARGV[1], 'perUserLimit', ARGV[2])

local dead = tonumber(ARGV[5])
for i = 6, 5 + 2 * dead, 2 do
  local kept = {}
  for _, entry in ipairs(readHeldClaims(KEYS[2], ARGV[i])) do
    if parseHeldClaim(entry) ~= ARGV[i + 1] then kept[#kept + 1] = entry end
  end
  writeHeldClaims(KEYS[2], ARGV[i], kept)
end
for i = 6 + 2 * dead, #ARGV, 2 do
  local entries = readHeldClaims(KEYS[2], ARGV[i])
  local wanted = parseHeldClaim(ARGV[i + 1])
  local found = false
  for _, entry in ipairs(entries) do if parseHeldClaim(entry) == wanted then found = true end end
  if not found then
    entries[#entries + 1] = ARGV[i + 1]
    writeHeldClaims(KEYS[2], ARGV[i], entries)
  end
end

local admitted, highest, taken = 0, 0, {}
for _, held in ipairs(redis.call('HVALS', KEYS[2])) do
  for _, entry in ipairs(splitHeldClaims(held)) do
    local _, _, ticket = parseHeldClaim(entry)
    admitted = admitted + 1
    taken[ticket] = true
    highest = math.max(highest, ticket)
  end
end
local seq = math.max(tonumber(redis.call('HGET', KEYS[1], 'seq') or '0'), highest)

redis.call('DEL', KEYS[3])
local free = {}
for ticket = 1, math.min(seq, stock) do
  if not taken[ticket] then
    free[#free + 1] = ticket
    -- unpack() has a stack limit: push in chunks.
    if #free == 1000 then redis.call('RPUSH', KEYS[3], unpack(free)); free = {} end
  end
end
if #free > 0 then redis.call('RPUSH', KEYS[3], unpack(free)) end
redis.call('HSET', KEYS[1], 'seq', seq, 'admitted', admitted)
return {admitted, seq, redis.call('LLEN', KEYS[3])}
