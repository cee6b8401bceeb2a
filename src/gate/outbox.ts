import { type AdmittedClaim, claimFromStrings } from '../claim.ts';
import { activeEventsKey, gateKeys, outboxGroup } from './keys.ts';
import { eventOfTag } from './shards.ts';
import type { GateRedis } from './redis.ts';

/** An outbox on the relays' list: the hash tag of the shard whose stream it is (shards.ts). */
export type OutboxName = string;

/** One admitted claim as the gate appended it to its shard's outbox stream. */
export interface OutboxEntry {
  id: string;
  claim: AdmittedClaim;
}

export interface OutboxConsumerOptions {
  /** This relay's name in the stream consumer group; unique per relay process. */
  consumerName: string;
  /** Entries read per event and call. */
  batchSize: number;
  /** An entry delivered to a relay this long ago and still not acknowledged belongs to a dead relay. */
  claimIdleMs: number;
}

/** An event's outbox in numbers, for the dashboard. */
export interface OutboxFigures {
  /** Entries in the stream (XLEN); the relay deletes an entry once Kafka acknowledged it. */
  length: number;
  /** Admitted claims not yet acknowledged by Kafka: not yet read by a relay, plus read and unacknowledged. */
  backlog: number;
  /** Read by a relay, not yet acknowledged by Kafka. */
  pending: number;
}

/** The claims waiting in an event's outbox for the relay, and when the event last admitted one. */
export interface OutboxContents {
  /** Each claim waiting in the outbox, with when it entered it (its entry's id), in ms. */
  enteredAtMs: Map<string, number>;
  /** From the stream's last id; undefined when the event has no outbox (never admitted, or Redis lost it). */
  lastAdmissionMs: number | undefined;
  /** On the relay's list: relays read only the outboxes of listed events. */
  isListed: boolean;
}

/*
 * The scripts write the claim's fields but eventId, which the key carries; the consumer forwards them
 * without judging them. A missing field becomes '' or NaN (null in JSON), and the worker routes the
 * claim to failed_claims.
 */
const toEntry = (outbox: OutboxName, id: string, fields: Record<string, string>): OutboxEntry => ({
  id,
  claim: claimFromStrings({ ...fields, eventId: eventOfTag(outbox) }),
});

const isMissingGroup = (error: unknown) => error instanceof Error && error.message.startsWith('NOGROUP');

/**
 * The relay's side of the gate's outbox streams: a consumer group per outbox (one per shard of each
 * event), at-least-once. Every call names one stream only: a shard's keys share one cluster slot, and
 * different shards may live on different nodes.
 */
export function createOutboxConsumer(
  redis: GateRedis,
  { consumerName, batchSize, claimIdleMs }: OutboxConsumerOptions,
) {
  const groupReady = new Set<OutboxName>();

  async function ensureGroup(outbox: OutboxName): Promise<void> {
    if (groupReady.has(outbox)) return;
    try {
      // From id 0: entries the gate appended before any relay saw the event are read too.
      await redis.xGroupCreate(gateKeys(outbox).outbox, outboxGroup, '0', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    groupReady.add(outbox);
  }

  /** Runs a stream command; a group that vanished (Redis lost its data) is created again on the next call. */
  async function withGroup<T>(outbox: OutboxName, run: () => Promise<T>): Promise<T> {
    await ensureGroup(outbox);
    try {
      return await run();
    } catch (error) {
      if (isMissingGroup(error)) groupReady.delete(outbox);
      throw error;
    }
  }

  return {
    /** The outboxes the gate writes to. */
    async listOutboxes(): Promise<OutboxName[]> {
      return redis.sMembers(activeEventsKey);
    },

    /** Entries no relay has read yet; they stay pending for this relay until acknowledged. */
    async readNew(outbox: OutboxName): Promise<OutboxEntry[]> {
      const reply = await withGroup(outbox, () =>
        redis.xReadGroup(outboxGroup, consumerName, { key: gateKeys(outbox).outbox, id: '>' }, { COUNT: batchSize }),
      );
      const streams = (reply ?? []) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }>;
      return streams.flatMap((stream) => stream.messages.map((m) => toEntry(outbox, m.id, m.message)));
    },

    /** Takes over entries a relay read and never acknowledged for `claimIdleMs` (it died, or hung). */
    async claimStale(outbox: OutboxName): Promise<OutboxEntry[]> {
      const reply = await withGroup(outbox, () =>
        redis.xAutoClaim(gateKeys(outbox).outbox, outboxGroup, consumerName, claimIdleMs, '0-0', {
          COUNT: batchSize,
        }),
      );
      const messages = reply.messages as Array<{ id: string; message: Record<string, string> } | null>;
      return messages.flatMap((m) => (m === null ? [] : [toEntry(outbox, m.id, m.message)]));
    },

    /** Call only after Kafka acknowledged the entries: they leave the pending list and the stream. */
    async acknowledge(outbox: OutboxName, ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      const key = gateKeys(outbox).outbox;
      await Promise.all([redis.xAck(key, outboxGroup, ids), redis.xDel(key, ids)]);
    },

    /** Removes this relay from the groups it joined, once nothing is pending for it (a clean stop). */
    async leaveGroups(): Promise<void> {
      await Promise.all(
        [...groupReady].map(async (outbox) => {
          const key = gateKeys(outbox).outbox;
          const consumers = await redis.xInfoConsumers(key, outboxGroup);
          const me = consumers.find((c) => c.name === consumerName);
          if (me && me.pending === 0) await redis.xGroupDelConsumer(key, outboxGroup, consumerName);
        }),
      );
    },
  };
}

export type OutboxConsumer = ReturnType<typeof createOutboxConsumer>;

async function readOneOutboxFigures(redis: GateRedis, tag: OutboxName): Promise<OutboxFigures> {
  const key = gateKeys(tag).outbox;
  const [length, groups] = await Promise.all([
    redis.xLen(key),
    // XINFO GROUPS fails on a stream that does not exist yet (no claim admitted).
    redis.xInfoGroups(key).catch(() => []),
  ]);
  const group = groups.find((g) => String(g.name) === outboxGroup);
  if (!group) return { length, backlog: length, pending: 0 };
  const pending = Number(group.pending);
  // Redis cannot count the unread entries after some deletions (lag is null then); the stream's
  // length is an upper bound, and the relay trims what Kafka acknowledged.
  const unread = group.lag === null ? Math.max(0, length - pending) : Number(group.lag);
  return { length, backlog: unread + pending, pending };
}

/** An event's outboxes (one per shard, named by their tags) in numbers, summed. */
export async function readOutboxFigures(redis: GateRedis, tags: readonly OutboxName[]): Promise<OutboxFigures> {
  const figures = await Promise.all(tags.map((tag) => readOneOutboxFigures(redis, tag)));
  return figures.reduce((total, f) => ({
    length: total.length + f.length,
    backlog: total.backlog + f.backlog,
    pending: total.pending + f.pending,
  }));
}

const timeOfEntry = (id: string) => Number(id.split('-')[0]);

/** The claims waiting in an event's outboxes (one per shard, named by their tags), merged. */
export async function readOutboxContents(redis: GateRedis, tags: readonly OutboxName[]): Promise<OutboxContents> {
  const enteredAtMs = new Map<string, number>();
  let lastAdmissionMs: number | undefined;
  let isListed = true;
  for (const tag of tags) {
    const { outbox } = gateKeys(tag);
    // Two commands, not one script: in a cluster the list and the outbox live on different nodes.
    if ((await redis.sIsMember(activeEventsKey, tag)) !== 1) isListed = false;
    if ((await redis.exists(outbox)) === 0) continue;
    const info = (await redis.xInfoStream(outbox)) as unknown as Record<string, unknown>;
    const lastId = info['last-generated-id'];
    if (typeof lastId === 'string') lastAdmissionMs = Math.max(lastAdmissionMs ?? 0, timeOfEntry(lastId));
    let start = '-';
    for (;;) {
      const page = (await redis.xRange(outbox, start, '+', { COUNT: 1000 })) ?? [];
      for (const entry of page) {
        // A claim re-driven while its first entry waits: the older entry says how long it has waited.
        const { claimId } = entry.message;
        if (claimId && !enteredAtMs.has(claimId)) enteredAtMs.set(claimId, timeOfEntry(entry.id));
      }
      const last = page.at(-1);
      if (!last || page.length < 1000) break;
      start = `(${last.id}`;
    }
  }
  return { enteredAtMs, lastAdmissionMs, isListed };
}
