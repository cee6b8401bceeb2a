--[[ join-queue: puts a user in an event's queue on the user's home shard; joining twice changes nothing.
  Before the opening (Redis TIME < startsAtMs, and not opened yet) the score is the first 13 hex digits
  of sha1(seed .. userId) / 2^52, in [0,1): a uniformly random order fixed by the secret seed, which the
  opening reveals so that anyone can check it. After it, 1 + the seconds since prequeueAt (the same on
  every shard, and before any joiner, even when the queue was opened before startsAt): arrival order,
  behind every pre-queue joiner. Scores go to ZADD as %.17g strings: Lua's own number format keeps only
  14 digits, which would make ties.
  KEYS[1] queue meta (hash: seed, prequeueAtMs, startsAtMs, openedAtMs; see setup-queue.lua)
  KEYS[2] queue (zset: userId -> score)
  ARGV[1] userId  ARGV[2] when the queue's keys expire (ms since the epoch)
  Returns {1 | 0 (was in already), 'prequeue' | 'open'} | {'NOT_STARTED'} (before prequeueAtMs)
  | {'NO_QUEUE'} (the shard holds no meta: set the queue up, then join again) ]]
local meta = redis.call('HMGET', KEYS[1], 'seed', 'prequeueAtMs', 'startsAtMs', 'openedAtMs')
if not meta[1] then return {'NO_QUEUE'} end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if nowMs < tonumber(meta[2]) then return {'NOT_STARTED'} end
local isPrequeue = not meta[4] and nowMs < tonumber(meta[3])
local score
if isPrequeue then
  score = tonumber(string.sub(redis.sha1hex(meta[1] .. ARGV[1]), 1, 13), 16) / 4503599627370496
else
  score = 1 + ((tonumber(t[1]) * 1000000 + tonumber(t[2])) - tonumber(meta[2]) * 1000) / 1000000
end
local added = redis.call('ZADD', KEYS[2], 'NX', string.format('%.17g', score), ARGV[1])
redis.call('PEXPIREAT', KEYS[2], ARGV[2])
if isPrequeue then return {added, 'prequeue'} end
return {added, 'open'}
