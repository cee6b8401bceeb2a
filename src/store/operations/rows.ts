import type { Selectable } from 'kysely';
import type { AdmittedClaim, EventDefinition } from '../../claim.ts';
import type { FailedClaimTicketRow } from '../dialect.ts';
import type { EventsTable } from '../schema.ts';

/** Rows as the rest of firstcome names them. */
export const eventOfRow = (row: Selectable<EventsTable>): EventDefinition => ({
  id: row.id,
  name: row.name,
  stock: row.stock,
  perUserLimit: row.per_user_limit,
  shards: row.shards,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  closedAt: row.closed_at,
  createdAt: row.created_at,
});

export const claimOfRow = (row: FailedClaimTicketRow): AdmittedClaim => ({
  claimId: row.claim_id,
  eventId: row.event_id,
  userId: row.user_id,
  seq: row.seq,
  slot: row.slot,
  admittedAtMs: (row.admitted_at ?? row.created_at).getTime(),
});
