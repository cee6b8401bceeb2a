import type { AdmittedClaim, EventId } from '../claim.ts';
import { activeEventsKey, gateKeys, outboxGroup } from '../gate/keys.ts';
import type { GateRedis } from '../gate/redis.ts';

/** One admitted claim as the gate appended it to its event's outbox stream. */
export interface OutboxEntry {
  id: string;
  claim: AdmittedClaim;
}

export interface OutboxReaderOptions {
  /** This relay's name in the stream consumer group; unique per relay process. */
  consumerName: string;
  /** Entries read per event and call. */
  batchSize: number;
  /** An entry delivered to a relay this long ago and still not acknowledged belongs to a dead relay. */
  claimIdleMs: number;
}

/*
 * The gate writes the fields; the relay forwards them without judging them. A field that is missing
 * becomes NaN here and null in JSON, and the worker routes the claim to failed_claims.
 */
const toEntry = (eventId: EventId, id: string, fields: Record<string, string>): OutboxEntry => ({
  id,
  claim: {
    claimId: fields.claimId ?? '',
    eventId,
    userId: fields.userId ?? '',
    seq: Number(fields.seq),
    slot: Number(fields.slot),
    admittedAtMs: Number(fields.admittedAtMs),
  },
});

const isMissingGroup = (error: unknown) => error instanceof Error && error.message.startsWith('NOGROUP');

/**
 * The relay's view of the gate's outbox streams. Every call names one event's stream only: an event's
 * keys share one cluster slot, and different events may live on different nodes.
 */
export function createOutboxReader(redis: GateRedis, { consumerName, batchSize, claimIdleMs }: OutboxReaderOptions) {
  const groupReady = new Set<EventId>();

  async function ensureGroup(eventId: EventId): Promise<void> {
    if (groupReady.has(eventId)) return;
    try {
      // From id 0: entries the gate appended before any relay saw the event are read too.
      await redis.xGroupCreate(gateKeys(eventId).outbox, outboxGroup, '0', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    groupReady.add(eventId);
  }

  /** Runs a stream command; a group that vanished (Redis lost its data) is created again on the next call. */
  async function withGroup<T>(eventId: EventId, run: () => Promise<T>): Promise<T> {
    await ensureGroup(eventId);
    try {
      return await run();
    } catch (error) {
      if (isMissingGroup(error)) groupReady.delete(eventId);
      throw error;
    }
  }

  return {
    /** Events whose outboxes the gate writes to. */
    async listEvents(): Promise<EventId[]> {
      return redis.sMembers(activeEventsKey);
    },

    /** Entries no relay has read yet; they stay pending for this relay until acknowledged. */
    async readNew(eventId: EventId): Promise<OutboxEntry[]> {
      const reply = await withGroup(eventId, () =>
        redis.xReadGroup(outboxGroup, consumerName, { key: gateKeys(eventId).outbox, id: '>' }, { COUNT: batchSize }),
      );
      const streams = (reply ?? []) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }>;
      return streams.flatMap((stream) => stream.messages.map((m) => toEntry(eventId, m.id, m.message)));
    },

    /** Takes over entries a relay read and never acknowledged for `claimIdleMs` (it died, or hung). */
    async claimStale(eventId: EventId): Promise<OutboxEntry[]> {
      const reply = await withGroup(eventId, () =>
        redis.xAutoClaim(gateKeys(eventId).outbox, outboxGroup, consumerName, claimIdleMs, '0-0', {
          COUNT: batchSize,
        }),
      );
      const messages = reply.messages as Array<{ id: string; message: Record<string, string> } | null>;
      return messages.flatMap((m) => (m === null ? [] : [toEntry(eventId, m.id, m.message)]));
    },

    /** Called only after Kafka acknowledged the entries: they leave the pending list and the stream. */
    async acknowledge(eventId: EventId, ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      const key = gateKeys(eventId).outbox;
      await Promise.all([redis.xAck(key, outboxGroup, ids), redis.xDel(key, ids)]);
    },

    /** Removes this relay from the groups it joined, once nothing is pending for it (a clean stop). */
    async leaveGroups(): Promise<void> {
      await Promise.all(
        [...groupReady].map(async (eventId) => {
          const key = gateKeys(eventId).outbox;
          const consumers = await redis.xInfoConsumers(key, outboxGroup);
          const me = consumers.find((c) => c.name === consumerName);
          if (me && me.pending === 0) await redis.xGroupDelConsumer(key, outboxGroup, consumerName);
        }),
      );
    },
  };
}

export type OutboxReader = ReturnType<typeof createOutboxReader>;
