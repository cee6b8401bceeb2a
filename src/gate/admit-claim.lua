--[[ admit-claim: admit one claim on the user's home shard if the event is open, a ticket is free and the
  user is under the limit; numbering, the outbox entry and the idempotency key happen in the same atomic
  step, so an admission is never half-made. See docs/scaling.md for shards, the pool and leases.
  KEYS[1] event (hash: stock, admitted, perUserLimit, startsAtMs, endsAtMs, generation, pausedUntilMs, epoch,
    and on shard 0, which is the pool too: seq, shards, swept; on any other shard: leasing = 1.
    endsAtMs 0 = no end; generation: raised by every restock, close and repair, absent = 0; pausedUntilMs:
    set while a repair rebuilds the event, see pause-event.lua)
  KEYS[2] users (hash: userId -> "claimId:slot:seq,..." of the claims the user holds; see held-claims.lua)
  KEYS[3] outbox (stream of admitted claims, drained by the relay)
  KEYS[4] returned (the pool's free tickets, see ticket-ranges.lua; used here only by a one-shard event)
  KEYS[5] keyed claims (hash: "<idempotency key> <userId>" -> "claimId:slot:seq" of the claim that key admitted)
  KEYS[6] lease (the shard's tickets, see ticket-ranges.lua; unused by a one-shard event, which takes its
    tickets straight from the pool: every shard of a sharded event leases, shard 0 too, so none is favoured)
  KEYS[7] jtis (hash: admission token id -> claims admitted with it; used only with ARGV[9])
  ARGV[1] userId  ARGV[2] claimId  ARGV[3] idempotency key ('' for none; never holds a space)
  ARGV[4] how long keys outlive the event's end (ms)  ARGV[5] how long keys live in an event without an end (ms)
  ARGV[6] the epoch of a grant from the pool ('' for none)  ARGV[7] ARGV[8] the grant's first and last ticket:
    appended to the lease only when this claim is admitted, so a caller gives back a grant it got any
    other answer for
  ARGV[9] the id (jti) of the admission token the claim came with, for an event with a queue ('' for none)
  ARGV[10] how many claims that token is good for
  Returns {'ADMITTED', seq, slot} | {'REPLAYED', seq, slot, claimId} (the key admitted claimId before)
  | {'SOLD_OUT', generation} | {'ENDED', generation} | {'LIMIT_REACHED'} | {'NOT_STARTED'} | {'NO_EVENT'}
  | {'TOKEN_USED'} (the admission token was used for all its claims already)
  | {'PAUSED'} (a repair is under way: nothing decided, ask again soon)
  | {'NEED_TICKETS'} (a leasing shard's lease is empty: lease from the pool, then call again with the grant)
  | {'GRANT_REFUSED'} (the grant is older than the shard's last surrender: give it back, lease again) ]]
local keyed = nil
if ARGV[3] ~= '' then
  keyed = ARGV[3] .. ' ' .. ARGV[1]
  -- Whatever happened since (limit reached, sold out, ended, issued), a key's admission answers the same.
  local earlier = redis.call('HGET', KEYS[5], keyed)
  if earlier then
    local claimId, slot, seq = parseHeldClaim(earlier)
    return {'REPLAYED', seq, slot, claimId}
  end
end

local ev = redis.call('HMGET', KEYS[1], 'stock', 'seq', 'perUserLimit', 'startsAtMs', 'endsAtMs', 'generation',
  'pausedUntilMs', 'leasing', 'shards', 'epoch')
if not ev[1] then return {'NO_EVENT'} end
local generation = tonumber(ev[6] or '0')
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The end first: a closed event has ended whether or not it had started.
local endsAtMs = tonumber(ev[5])
if endsAtMs > 0 and nowMs >= endsAtMs then return {'ENDED', generation} end
if ev[7] and nowMs < tonumber(ev[7]) then return {'PAUSED'} end
if nowMs < tonumber(ev[4]) then return {'NOT_STARTED'} end
-- Sold out before the limit, on every shard: a leasing shard hears it from the pool.
local isLeasing = ev[8] == '1' or tonumber(ev[9] or '1') > 1
local grantEpoch = tonumber(ARGV[6])
if isLeasing then
  if not grantEpoch and redis.call('LLEN', KEYS[6]) == 0 then return {'NEED_TICKETS'} end
elseif redis.call('LLEN', KEYS[4]) == 0 and tonumber(ev[2] or '0') >= tonumber(ev[1]) then
  return {'SOLD_OUT', generation}
end

local held = readHeldClaims(KEYS[2], ARGV[1])
if #held >= tonumber(ev[3]) then return {'LIMIT_REACHED'} end
local jti = ARGV[9]
if jti ~= '' and tonumber(redis.call('HGET', KEYS[7], jti) or '0') >= tonumber(ARGV[10]) then
  return {'TOKEN_USED'}
end
-- The lowest free slot, so a slot given back by a failed claim is used again.
local used = {}
for _, entry in ipairs(held) do
  local _, heldSlot = parseHeldClaim(entry)
  if heldSlot then used[heldSlot] = true end
end
local slot = 1
while used[slot] do slot = slot + 1 end

local seq
if isLeasing then
  if grantEpoch then
    if grantEpoch < tonumber(ev[10] or '0') then return {'GRANT_REFUSED'} end
    redis.call('RPUSH', KEYS[6], formatTicketRange(tonumber(ARGV[7]), tonumber(ARGV[8])))
  end
  seq = takeTickets(KEYS[6], 1)
else
  seq = takeTickets(KEYS[4], 1) or redis.call('HINCRBY', KEYS[1], 'seq', 1)
end
redis.call('HINCRBY', KEYS[1], 'admitted', 1)
held[#held + 1] = formatHeldClaim(ARGV[2], slot, seq)
writeHeldClaims(KEYS[2], ARGV[1], held)
redis.call('XADD', KEYS[3], '*', 'claimId', ARGV[2], 'userId', ARGV[1], 'seq', seq, 'slot', slot, 'admittedAtMs', nowMs)
-- Keyed claims and a token's uses outlive the event's end by the same margin.
local function expireWithEvent(key)
  if endsAtMs > 0 then
    redis.call('PEXPIREAT', key, endsAtMs + tonumber(ARGV[4]))
  else
    redis.call('PEXPIRE', key, ARGV[5])
  end
end
if keyed then
  redis.call('HSET', KEYS[5], keyed, formatHeldClaim(ARGV[2], slot, seq))
  expireWithEvent(KEYS[5])
end
if jti ~= '' then
  redis.call('HINCRBY', KEYS[7], jti, 1)
  expireWithEvent(KEYS[7])
end
return {'ADMITTED', seq, slot}
