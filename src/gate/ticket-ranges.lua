--[[ ticket-ranges: the one spelling, in Lua, of a list of free tickets: the pool's returned tickets and a
  shard's lease. Each entry is a run of tickets "lo:hi", or one ticket "t" (what a load, a repair or a
  given-back claim pushes). redis.ts puts this file before every script that takes tickets from such a
  list; it defines local functions and touches no key.
  Functions: parseTicketRange(entry) -> lo, hi; formatTicketRange(lo, hi) -> entry;
  takeTickets(listKey, size) -> lo, hi of up to `size` tickets from the list's head (nil when empty). ]]

local function parseTicketRange(entry)
  local lo, hi = string.match(entry, '^(%d+):(%d+)$')
  if lo then return tonumber(lo), tonumber(hi) end
  local ticket = tonumber(entry)
  return ticket, ticket
end

local function formatTicketRange(lo, hi)
  if lo == hi then return tostring(lo) end
  return lo .. ':' .. hi
end

local function takeTickets(listKey, size)
  local head = redis.call('LINDEX', listKey, 0)
  if not head then return nil end
  local lo, hi = parseTicketRange(head)
  if hi - lo + 1 <= size then
    redis.call('LPOP', listKey)
    return lo, hi
  end
  redis.call('LSET', listKey, 0, formatTicketRange(lo + size, hi))
  return lo, lo + size - 1
end
