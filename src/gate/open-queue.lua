--[[ open-queue: the opening, on one shard: from now on the shard takes no pre-queue joiner (join-queue.lua)
  and answers positions (place-queue.lua). queue.ts calls it on every other shard first, then on shard 0,
  where it also starts the window (advance-queue.lua): once shard 0 says opened, no shard takes a pre-queue
  joiner any more, so positions computed from then on stay. Safe to repeat: a scheduler that died midway
  is replaced by one that opens again.
  KEYS[1] queue meta  KEYS[2] queue (zset)  KEYS[3] queue state (shard 0: hash window, advancedAtMs,
  openedAtMs)  KEYS[4] window log (shard 0: list of "ms:window")  (KEYS[3], KEYS[4] unused elsewhere)
  ARGV[1] '1' on shard 0  ARGV[2] when the queue's keys expire (ms since the epoch)
  Returns {'OPENED', seed, pre-queue joiners on this shard, 1 when this call opened shard 0's window
  (else 0)} | {'NO_QUEUE'} (the shard holds no meta: set the queue up first) ]]
local seed = redis.call('HGET', KEYS[1], 'seed')
if not seed then return {'NO_QUEUE'} end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSETNX', KEYS[1], 'openedAtMs', nowMs)
local prequeued = redis.call('ZCOUNT', KEYS[2], '-inf', '(1')
local isFirst = 0
if ARGV[1] == '1' and redis.call('HSETNX', KEYS[3], 'openedAtMs', nowMs) == 1 then
  isFirst = 1
  redis.call('HSET', KEYS[3], 'window', 0, 'advancedAtMs', nowMs)
  redis.call('RPUSH', KEYS[4], nowMs .. ':0')
  redis.call('PEXPIREAT', KEYS[3], ARGV[2])
  redis.call('PEXPIREAT', KEYS[4], ARGV[2])
end
return {'OPENED', seed, prequeued, isFirst}
