--[[ redrive-claim: put a claim the gate holds back in the outbox, so the pipeline delivers it again
  (reconcile found it in neither coupons nor failed_claims). Only a claim the user still holds is
  re-driven: one whose ticket was given back must never come back. A second delivery of a claim that did
  arrive is harmless: the worker's claim_id is unique.
  KEYS[1] users  KEYS[2] outbox
  ARGV[1] userId  ARGV[2] claimId
  Returns 1 when re-driven, 0 when the user does not hold the claim. ]]
for _, entry in ipairs(readHeldClaims(KEYS[1], ARGV[1])) do
  local claimId, slot, seq = parseHeldClaim(entry)
  if claimId == ARGV[2] then
    -- The gate keeps no admission time per claim: the entry carries the re-drive time instead.
    local t = redis.call('TIME')
    local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('XADD', KEYS[2], '*', 'claimId', claimId, 'userId', ARGV[1], 'seq', seq, 'slot', slot,
      'admittedAtMs', nowMs)
    return 1
  end
end
return 0
