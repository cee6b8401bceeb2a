--[[ repair-event: one chunk of a repair (repair-event.ts) of a paused event (pause-event): drops dead claims
  the gate still holds, adds claims the database holds that the gate does not, and stages tickets no claim
  holds for resume-event. Each chunk is small; together they replace one call that walked the whole event.
  KEYS[1] event  KEYS[2] users  KEYS[3] staged free tickets (list)
  ARGV[1] repairId  ARGV[2] pauseMs  ARGV[3] d  ARGV[4] h, then d pairs userId, claimId of dead claims to
  drop, then h pairs userId, "claimId:slot:seq" of database claims to hold, then free tickets to stage
  Returns 1, or 0 when another repair took over (nothing done). ]]
if redis.call('HGET', KEYS[1], 'pausedBy') ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pauseMs = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'pausedUntilMs', nowMs + pauseMs)

local firstDrop, firstHold = 5, 5 + 2 * tonumber(ARGV[3])
local firstTicket = firstHold + 2 * tonumber(ARGV[4])
for i = firstDrop, firstHold - 1, 2 do
  local kept = {}
  for _, entry in ipairs(readHeldClaims(KEYS[2], ARGV[i])) do
    if parseHeldClaim(entry) ~= ARGV[i + 1] then kept[#kept + 1] = entry end
  end
  writeHeldClaims(KEYS[2], ARGV[i], kept)
end
for i = firstHold, firstTicket - 1, 2 do
  local entries = readHeldClaims(KEYS[2], ARGV[i])
  local wanted = parseHeldClaim(ARGV[i + 1])
  local found = false
  for _, entry in ipairs(entries) do if parseHeldClaim(entry) == wanted then found = true end end
  if not found then
    entries[#entries + 1] = ARGV[i + 1]
    writeHeldClaims(KEYS[2], ARGV[i], entries)
  end
end
-- unpack() has a stack limit: push in slices.
for i = firstTicket, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[3], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if #ARGV >= firstTicket then redis.call('PEXPIRE', KEYS[3], pauseMs) end
return 1
