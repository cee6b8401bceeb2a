--[[ seed-event: load an event into the gate unless it is there already (several API processes may race to
  load it after Redis lost it; the first wins and the others must not reset its counters).
  KEYS[1] event  KEYS[2] users
  ARGV[1] stock  ARGV[2] perUserLimit  ARGV[3] startsAtMs  ARGV[4] endsAtMs (0 = no end)
  ARGV[5] highest ticket already issued  ARGV[6] tickets held (admitted)
  ARGV[7..] pairs of userId, "claimId:slot:seq,..." for users who hold tickets already
  Returns 1 when seeded, 0 when the event was there. ]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
-- Users first: the event hash is what makes the event admit claims.
for i = 7, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'stock', ARGV[1], 'perUserLimit', ARGV[2], 'startsAtMs', ARGV[3], 'endsAtMs', ARGV[4],
  'seq', ARGV[5], 'admitted', ARGV[6])
return 1
