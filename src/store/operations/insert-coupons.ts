import { sql } from 'kysely';
import type { AdmittedClaim } from '../../claim.ts';
import type { Dialect, StoreContext } from '../dialect.ts';

export interface RefusedClaim {
  claim: AdmittedClaim;
  /** "beyond_stock: <the database's words>": a short cause first, for operators and the retry job. */
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

// A refusal is the database refusing a claim; anything else (connection lost, shutdown) is thrown, so
// the caller retries the whole batch later.
const refusalOf = (dialect: Dialect, error: unknown) => {
  const meaning = dialect.classifyError(error);
  return meaning?.kind === 'refusal' ? `${meaning.cause}: ${meaning.detail}` : undefined;
};

/**
 * Writes coupons in one statement per batch. `event_stock` and `event_per_user_limit` come from the
 * events table and the composite foreign key pins them there, so the numbered-ticket checks use the
 * real stock and limit. A claim whose coupon exists is a duplicate; any other conflict is a refusal,
 * found row by row, each row behind its own savepoint.
 */
export async function insertCoupons({ db, dialect }: StoreContext, claims: AdmittedClaim[]): Promise<InsertResult> {
  if (claims.length === 0) return { inserted: 0, duplicates: 0, refused: [] };
  try {
    const inserted = await dialect.insertCouponBatch(db, claims);
    return { inserted, duplicates: claims.length - inserted, refused: [] };
  } catch (error) {
    if (refusalOf(dialect, error) === undefined) throw error;
  }
  return db.transaction().execute(async (trx) => {
    const result: InsertResult = { inserted: 0, duplicates: 0, refused: [] };
    for (const [i, claim] of claims.entries()) {
      const savepoint = sql.id(`claim_${i}`);
      await sql`SAVEPOINT ${savepoint}`.execute(trx);
      try {
        const inserted = await dialect.insertCouponBatch(trx, [claim]);
        result.inserted += inserted;
        result.duplicates += 1 - inserted;
        await sql`RELEASE SAVEPOINT ${savepoint}`.execute(trx);
      } catch (error) {
        const reason = refusalOf(dialect, error);
        if (reason === undefined) throw error;
        await sql`ROLLBACK TO SAVEPOINT ${savepoint}`.execute(trx);
        result.refused.push({ claim, reason });
      }
    }
    return result;
  });
}
