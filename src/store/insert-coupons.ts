import { sql } from 'kysely';
import type { AdmittedClaim } from '../claim.ts';
import type { Database } from './database.ts';

export interface RefusedClaim {
  claim: AdmittedClaim;
  /** The database's reason, e.g. the constraint that refused the row. */
  reason: string;
}

export interface InsertResult {
  /** Rows written now. */
  inserted: number;
  /** Claims whose coupon existed already (Kafka redelivered them). */
  duplicates: number;
  /** Claims the database will never take as they are: beyond stock, beyond the limit, unknown event. */
  refused: RefusedClaim[];
}

// Constraint violations are the database refusing the claim; anything else (connection lost, shutdown)
// is an outage, thrown so the caller retries the whole batch later.
const refusalCodes = new Set(['23505', '23514', '23503', '23502', '22P02']);
const isRefusal = (error: unknown) => refusalCodes.has((error as { code?: string }).code ?? '');
const reasonByConstraint: Record<string, string> = {
  coupons_seq_within_stock: 'beyond_stock',
  coupons_slot_within_limit: 'beyond_limit',
  coupons_one_per_ticket: 'ticket_taken',
  coupons_one_per_user_slot: 'slot_taken',
};
/** "beyond_stock: <the database's words>": a short cause first, for operators and the retry job. */
const reasonOf = (error: unknown) => {
  const e = error as { constraint?: string; column?: string; message?: string };
  const cause = e.column === 'event_stock' ? 'unknown_event' : (reasonByConstraint[e.constraint ?? ''] ?? 'refused');
  return `${cause}: ${e.message ?? String(error)}`;
};

/**
 * Writes coupons in one statement per batch. `event_stock` and `event_per_user_limit` come from the
 * events table and the composite foreign key pins them there, so the numbered-ticket checks use the
 * real stock and limit. Kafka may redeliver; ON CONFLICT (claim_id) DO NOTHING keeps inserts
 * idempotent. Any other conflict is a refusal, found row by row.
 */
export async function insertCoupons(db: Database, claims: AdmittedClaim[]): Promise<InsertResult> {
  if (claims.length === 0) return { inserted: 0, duplicates: 0, refused: [] };
  try {
    const inserted = await insertBatch(db, claims);
    return { inserted, duplicates: claims.length - inserted, refused: [] };
  } catch (error) {
    if (!isRefusal(error)) throw error;
  }
  return db.transaction().execute(async (trx) => {
    const result: InsertResult = { inserted: 0, duplicates: 0, refused: [] };
    for (const [i, claim] of claims.entries()) {
      const savepoint = `claim_${i}`;
      await sql`SAVEPOINT ${sql.id(savepoint)}`.execute(trx);
      try {
        const inserted = await insertBatch(trx, [claim]);
        result.inserted += inserted;
        result.duplicates += 1 - inserted;
        await sql`RELEASE SAVEPOINT ${sql.id(savepoint)}`.execute(trx);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await sql`ROLLBACK TO SAVEPOINT ${sql.id(savepoint)}`.execute(trx);
        result.refused.push({ claim, reason: reasonOf(error) });
      }
    }
    return result;
  });
}

/*
 * INSERT … SELECT FROM unnest(…): one round trip and one plan for the whole batch. The LEFT JOIN makes
 * an unknown event a NOT NULL refusal instead of a silently dropped row.
 */
async function insertBatch(db: Database, claims: AdmittedClaim[]): Promise<number> {
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
