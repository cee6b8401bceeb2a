--[[ advance-queue: moves an opened queue's window forward at admitPerSecond, on shard 0. The time since the
  last advance comes from Redis's own clock and the state, so two schedulers that overlap for a moment
  share the pace rather than double it. The window never passes the joiners (no turn is banked for people
  not there yet), and with maxActive it holds while that many turns are open: a turn is open from its
  start (the log) until tokenTtl later, unless its token was used. Which turns' tokens were used is not
  known, only how many: max(expired, used) turns count as done, which can only overstate the open ones.
  The log keeps one checkpoint per second of Redis time (the last second's is moved on, not added to), so
  turnAtMs(p), the first checkpoint whose window >= p, is at most a second late; it is trimmed to the last
  tokenTtl + a margin, keeping the newest older checkpoint so that earlier positions still read as expired.
  KEYS[1] queue state (hash: window, advancedAtMs, openedAtMs)  KEYS[2] window log (list of "ms:window")
  ARGV[1] admitPerSecond  ARGV[2] maxActive ('' for none)  ARGV[3] tokenTtlMs  ARGV[4] joiners (every shard)
  ARGV[5] tokens used (every shard)  ARGV[6] log margin (ms)  ARGV[7] when the queue's keys expire (ms)
  Returns {window (a string: it has a fraction), advancedAtMs, openedAtMs} | {'NOT_OPEN'} ]]
local st = redis.call('HMGET', KEYS[1], 'window', 'advancedAtMs', 'openedAtMs')
if not st[3] then return {'NOT_OPEN'} end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(st[1])
local ttlMs = tonumber(ARGV[3])

local function parse(entry)
  local atMs, w = string.match(entry, '^(%d+):(%d+)$')
  return tonumber(atMs), tonumber(w)
end

-- Turns that started at least tokenTtl ago: the window of the last checkpoint no later than that.
local expired = 0
local log = redis.call('LRANGE', KEYS[2], 0, -1)
for _, entry in ipairs(log) do
  local atMs, w = parse(entry)
  if atMs > nowMs - ttlMs then break end
  expired = w
end

local cap = tonumber(ARGV[4])
if ARGV[2] ~= '' then cap = math.min(cap, math.max(expired, tonumber(ARGV[5])) + tonumber(ARGV[2])) end
-- A scheduler that was away (a failover) does not make up for it in a burst: at most a second at a time.
local elapsedMs = math.min(1000, math.max(0, nowMs - tonumber(st[2])))
local newWindow = math.max(window, math.min(window + tonumber(ARGV[1]) * elapsedMs / 1000, cap))
redis.call('HSET', KEYS[1], 'window', string.format('%.17g', newWindow), 'advancedAtMs', nowMs)

if math.floor(newWindow) > math.floor(window) then
  local entry = nowMs .. ':' .. math.floor(newWindow)
  local last = log[#log]
  if last and math.floor(parse(last) / 1000) == math.floor(nowMs / 1000) then
    redis.call('LSET', KEYS[2], -1, entry)
  else
    redis.call('RPUSH', KEYS[2], entry)
  end
end
local keepFromMs = nowMs - ttlMs - tonumber(ARGV[6])
while true do
  local second = redis.call('LINDEX', KEYS[2], 1)
  if not second or parse(second) >= keepFromMs then break end
  redis.call('LPOP', KEYS[2])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
return {string.format('%.17g', newWindow), nowMs, tonumber(st[3])}
