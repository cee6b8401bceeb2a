--[[ setup-queue: sets an event's queue up on one shard (queue.ts): its seed, kept once chosen, and its
  times, which follow the event's settings until the opening (a PATCH before startsAt) and never after.
  Called on shard 0 first with a fresh seed, then on every other shard with the seed shard 0 kept, so a
  join is one round trip on the user's home shard.
  KEYS[1] queue meta (hash: seed, prequeueAtMs, startsAtMs, openedAtMs once opened)
  ARGV[1] seed (32 random bytes, hex; kept only when the shard has none)  ARGV[2] prequeueAtMs
  ARGV[3] startsAtMs  ARGV[4] when the queue's keys expire (ms since the epoch)
  Returns the seed the shard holds. ]]
redis.call('HSETNX', KEYS[1], 'seed', ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'openedAtMs') == 0 then
  redis.call('HSET', KEYS[1], 'prequeueAtMs', ARGV[2], 'startsAtMs', ARGV[3])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return redis.call('HGET', KEYS[1], 'seed')
