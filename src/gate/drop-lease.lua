--[[ drop-lease: give up a lease (take-lease, or an event's load lease) if this holder still has it.
  KEYS[1] lease
  ARGV[1] holder
  Returns 1 when dropped, 0 when another holds it (or nobody). ]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
