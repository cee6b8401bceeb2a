import { sql } from 'kysely';
import type { AdmittedClaim } from '../../claim.ts';
import type { Executor } from '../dialect.ts';

/*
 * INSERT … SELECT FROM unnest(…): one round trip and one plan for the whole batch. The LEFT JOIN makes
 * an unknown event a NOT NULL refusal instead of a silently dropped row. Kafka may redeliver;
 * ON CONFLICT (claim_id) DO NOTHING keeps inserts idempotent.
 */
export async function insertCouponBatch(db: Executor, claims: AdmittedClaim[]): Promise<number> {
  const column = <T>(pick: (c: AdmittedClaim) => T) => claims.map(pick);
  const result = await sql`
    INSERT INTO coupons (event_id, user_id, claim_id, seq, slot, event_stock, event_per_user_limit, admitted_at)
    SELECT u.event_id, u.user_id, u.claim_id, u.seq, u.slot, e.stock, e.per_user_limit, to_timestamp(u.admitted_at_ms / 1000.0)
    FROM unnest(
      ${column((c) => c.eventId)}::text[], ${column((c) => c.userId)}::text[], ${column((c) => c.claimId)}::text[],
      ${column((c) => c.seq)}::int[], ${column((c) => c.slot)}::int[], ${column((c) => c.admittedAtMs)}::float8[]
    ) AS u(event_id, user_id, claim_id, seq, slot, admitted_at_ms)
    LEFT JOIN events e ON e.id = u.event_id
    ON CONFLICT (claim_id) DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
