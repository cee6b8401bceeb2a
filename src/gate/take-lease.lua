--[[ take-lease: take a lease one process of a deployment holds at a time (the drift watch's, ...), or renew
  it when this holder has it already. It lapses after ttlMs unless renewed, so a dead holder's passes on.
  KEYS[1] lease
  ARGV[1] holder (unique per process)  ARGV[2] ttlMs
  Returns 1 when the holder holds the lease now, 0 when another does. ]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
