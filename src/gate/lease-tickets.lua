--[[ lease-tickets: the pool hands a leasing shard tickets to admit from (docs/scaling.md): given-back
  tickets first, then a run from the ticket counter. A run is a quarter of what is left per shard, so it
  shrinks as the stock runs out and the tail goes out a ticket at a time.
  KEYS[1] pool (the event hash of shard 0: stock, seq, shards, swept, epoch, generation, pausedUntilMs)
  KEYS[2] returned (the pool's free tickets, see ticket-ranges.lua)
  Returns {'GRANT', epoch, lo, hi} | {'SOLD_OUT', generation} (dry, and every lease was taken back since)
  | {'NEED_SWEEP', epoch} (dry: take every shard's lease back with this epoch, then ask again; a claim that
    finds a sweep begun within the last 2 s joins it, with its epoch, rather than start another, which
    would make the first one's work count for nothing)
  | {'NO_EVENT'} | {'PAUSED'} ]]
local ev = redis.call('HMGET', KEYS[1], 'stock', 'seq', 'shards', 'swept', 'epoch', 'generation', 'pausedUntilMs',
  'sweepingSinceMs')
if not ev[1] then return {'NO_EVENT'} end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
if ev[7] and nowMs() < tonumber(ev[7]) then return {'PAUSED'} end
local stock, seq, shards = tonumber(ev[1]), tonumber(ev[2] or '0'), tonumber(ev[3] or '1')
local size = math.max(1, math.floor((stock - seq) / (4 * shards)))
local lo, hi = takeTickets(KEYS[2], size)
if not lo and seq < stock then
  lo, hi = seq + 1, math.min(stock, seq + size)
  redis.call('HSET', KEYS[1], 'seq', hi)
end
if lo then return {'GRANT', tonumber(ev[5] or '0'), lo, hi} end
if ev[4] == '1' then return {'SOLD_OUT', tonumber(ev[6] or '0')} end
local now = nowMs()
if now - tonumber(ev[8] or '0') < 2000 then return {'NEED_SWEEP', tonumber(ev[5] or '0')} end
redis.call('HSET', KEYS[1], 'sweepingSinceMs', now)
return {'NEED_SWEEP', redis.call('HINCRBY', KEYS[1], 'epoch', 1)}
