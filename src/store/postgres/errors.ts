import pg from 'pg';
import type { DriverError, RefusalCause } from '../dialect.ts';
import { socketOutageCodes } from '../network-errors.ts';

// unique, check, foreign key and not-null violations, and a value the column's type rejects.
const refusalCodes = new Set(['23505', '23514', '23503', '23502', '22P02']);
// Besides connection exceptions (class 08): the server shutting down or not yet accepting connections,
// too many connections, and a statement cancelled by a timeout.
const outageCodes = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
// pg and pg-pool say so in words only.
const outageMessages = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^timeout expired$/,
  /^Query read timeout$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

const reasonByConstraint: Record<string, RefusalCause> = {
  coupons_seq_within_stock: 'beyond_stock',
  coupons_slot_within_limit: 'beyond_limit',
  coupons_one_per_ticket: 'ticket_taken',
  coupons_one_per_user_slot: 'slot_taken',
  // 0006's statement-level check (once the composite foreign key): no event with that id, stock and limit.
  coupons_event_terms: 'unknown_event',
};

function isOutage(error: unknown): boolean {
  const { code: raw } = (error ?? {}) as { code?: unknown };
  const code = typeof raw === 'string' ? raw : '';
  if (socketOutageCodes.has(code) || outageCodes.has(code) || code.startsWith('08')) return true;
  // A host with several addresses fails with one error per address.
  if (error instanceof AggregateError) return error.errors.some(isOutage);
  return (
    error instanceof Error && !(error instanceof pg.DatabaseError) && outageMessages.some((m) => m.test(error.message))
  );
}

export function classifyError(error: unknown): DriverError | undefined {
  if (isOutage(error)) return { kind: 'outage' };
  if (!(error instanceof pg.DatabaseError)) return undefined;
  if (refusalCodes.has(error.code ?? '')) {
    // The batch insert's LEFT JOIN leaves event_stock NULL for an event that does not exist.
    const cause =
      error.column === 'event_stock' ? 'unknown_event' : (reasonByConstraint[error.constraint ?? ''] ?? 'refused');
    return { kind: 'refusal', cause, detail: error.message };
  }
  return { kind: 'failure' };
}
