import type { RetryOutcome, StoreContext } from '../dialect.ts';

/** Records retry outcomes in one statement; a claim some other hand settled meanwhile is left alone. */
export async function recordRetryOutcomes({ db, dialect }: StoreContext, outcomes: RetryOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await dialect.recordRetryOutcomes(db, outcomes);
}
