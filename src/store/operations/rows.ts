import type { Selectable } from 'kysely';
import type { AdmittedClaim, EventDefinition, EventQueue, QueueSettings } from '../../claim.ts';
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
  queue: queueOfRow(row),
});

const queueOfRow = (row: Selectable<EventsTable>): EventQueue | null =>
  row.queue_prequeue_at === null || row.queue_admit_per_second === null || row.queue_token_ttl_seconds === null
    ? null
    : {
        prequeueAt: row.queue_prequeue_at,
        admitPerSecond: row.queue_admit_per_second,
        maxActive: row.queue_max_active,
        tokenTtlSeconds: row.queue_token_ttl_seconds,
        seed: row.queue_seed,
      };

/** A queue's settings as the events table's columns (all null for an event without a queue). */
export const queueColumns = (queue: QueueSettings | null) => ({
  queue_prequeue_at: queue?.prequeueAt ?? null,
  queue_admit_per_second: queue?.admitPerSecond ?? null,
  queue_max_active: queue?.maxActive ?? null,
  queue_token_ttl_seconds: queue?.tokenTtlSeconds ?? null,
});

export const claimOfRow = (row: FailedClaimTicketRow): AdmittedClaim => ({
  claimId: row.claim_id,
  eventId: row.event_id,
  userId: row.user_id,
  seq: row.seq,
  slot: row.slot,
  admittedAtMs: (row.admitted_at ?? row.created_at).getTime(),
});
