--[[ held-claims: the one spelling, in Lua, of what a user holds in an event's users hash: userId ->
  "claimId:slot:seq,claimId:slot:seq,..." (held-claims.ts is the TypeScript twin). redis.ts puts this file
  before every script that reads or writes the users hash; it defines local functions and touches no key.
  Functions: splitHeldClaims(held) -> {entry, ...}, parseHeldClaim(entry) -> claimId, slot, seq,
  formatHeldClaim(claimId, slot, seq) -> entry, readHeldClaims(usersKey, userId) -> {entry, ...},
  writeHeldClaims(usersKey, userId, entries). ]]

-- The entries of a held-claims string; none for a user who holds nothing (HGET answered false).
local function splitHeldClaims(held)
  local entries = {}
  if held then
    for entry in string.gmatch(held, '[^,]+') do entries[#entries + 1] = entry end
  end
  return entries
end

-- claimId, slot and seq (numbers) of one entry; nil for a string that is not an entry.
local function parseHeldClaim(entry)
  local claimId, slot, seq = string.match(entry, '^(.*):(%d+):(%d+)$')
  if not claimId then return nil end
  return claimId, tonumber(slot), tonumber(seq)
end

local function formatHeldClaim(claimId, slot, seq)
  return claimId .. ':' .. slot .. ':' .. seq
end

local function readHeldClaims(usersKey, userId)
  return splitHeldClaims(redis.call('HGET', usersKey, userId))
end

-- A user left with no claim leaves the hash, as one who never held any.
local function writeHeldClaims(usersKey, userId, entries)
  if #entries == 0 then
    redis.call('HDEL', usersKey, userId)
  else
    redis.call('HSET', usersKey, userId, table.concat(entries, ','))
  end
end
