--[[ place-queue: a user's position in the queue, on the user's home shard: the one cached in places, or
  what queue.ts needs to compute it (the user's score and rank here; the other shards' counts below the
  score it reads itself). A one-shard event's rank is the position: cached here at once. No position
  before the opening: pre-queue scores are a secret until then, and more pre-queue joiners may come.
  KEYS[1] queue meta  KEYS[2] queue (zset)  KEYS[3] places (hash: userId -> position)
  ARGV[1] userId  ARGV[2] '1' when the event has one shard  ARGV[3] when the queue's keys expire (ms)
  Returns {'PLACE', position} | {'SCORE', score, rank (0-based, ties broken by member)} | {'NOT_JOINED'}
  | {'PREQUEUE'} ]]
local place = redis.call('HGET', KEYS[3], ARGV[1])
if place then return {'PLACE', tonumber(place)} end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score then return {'NOT_JOINED'} end
if redis.call('HEXISTS', KEYS[1], 'openedAtMs') == 0 then return {'PREQUEUE'} end
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if ARGV[2] ~= '1' then return {'SCORE', score, rank} end
redis.call('HSET', KEYS[3], ARGV[1], rank + 1)
redis.call('PEXPIREAT', KEYS[3], ARGV[3])
return {'PLACE', rank + 1}
