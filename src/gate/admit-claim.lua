--[[ admit-claim: admit one claim if the event is open, stock remains and the user is under the limit;
  numbering and the outbox entry happen in the same atomic step, so an admission is never half-made.
  KEYS[1] event (hash: stock, admitted, seq, perUserLimit, startsAtMs, endsAtMs; endsAtMs 0 = no end)
  KEYS[2] users (hash: userId -> "claimId:slot:seq,..." of the claims the user holds; see held-claims.lua)
  KEYS[3] outbox (stream of admitted claims, drained by the relay)
  KEYS[4] returned (list of tickets given back by claims that can never be issued)
  ARGV[1] userId  ARGV[2] claimId
  Returns {'ADMITTED', seq, slot} | {'SOLD_OUT'} | {'LIMIT_REACHED'} | {'NOT_STARTED'} | {'ENDED'} | {'NO_EVENT'} ]]
local ev = redis.call('HMGET', KEYS[1], 'stock', 'admitted', 'perUserLimit', 'startsAtMs', 'endsAtMs')
if not ev[1] then return {'NO_EVENT'} end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs < tonumber(ev[4]) then return {'NOT_STARTED'} end
local endsAtMs = tonumber(ev[5])
if endsAtMs > 0 and nowMs >= endsAtMs then return {'ENDED'} end
if tonumber(ev[2]) >= tonumber(ev[1]) then return {'SOLD_OUT'} end

local held = readHeldClaims(KEYS[2], ARGV[1])
if #held >= tonumber(ev[3]) then return {'LIMIT_REACHED'} end
-- The lowest free slot, so a slot given back by a failed claim is used again.
local used = {}
for _, entry in ipairs(held) do
  local _, heldSlot = parseHeldClaim(entry)
  if heldSlot then used[heldSlot] = true end
end
local slot = 1
while used[slot] do slot = slot + 1 end

local seq = tonumber(redis.call('LPOP', KEYS[4]) or redis.call('HINCRBY', KEYS[1], 'seq', 1))
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
held[#held + 1] = formatHeldClaim(ARGV[2], slot, seq)
writeHeldClaims(KEYS[2], ARGV[1], held)
redis.call('XADD', KEYS[3], '*', 'claimId', ARGV[2], 'userId', ARGV[1], 'seq', seq, 'slot', slot, 'admittedAtMs', nowMs)
return {'ADMITTED', seq, slot}
