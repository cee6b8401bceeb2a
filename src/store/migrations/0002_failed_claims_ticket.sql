-- 0002_failed_claims_ticket: whether a dead claim's ticket went back to the gate.
-- NULL: the retry job has yet to settle the ticket with the gate (it does so after marking the claim
-- dead, so a crash in between is finished by the next pass); true: given back, so its seq and the
-- user's slot can be admitted again (promise 4); false: not given back, because the database holds that
-- ticket or slot for another claim, or it lies beyond the event's stock or limit (Redis lost data:
-- `firstcome reconcile --repair` brings the gate in line).
ALTER TABLE failed_claims ADD COLUMN ticket_returned boolean;
CREATE INDEX failed_claims_unsettled ON failed_claims (claim_id) WHERE state = 'dead' AND ticket_returned IS NULL;
