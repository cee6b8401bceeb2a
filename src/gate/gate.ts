import type { EventDefinition, EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { activeEventsKey, gateKeys } from './keys.ts';
import type { GateRedis } from './redis.ts';

export type Rejection = 'SOLD_OUT' | 'LIMIT_REACHED' | 'NOT_STARTED' | 'ENDED' | 'NO_EVENT';
export type Admission = { kind: 'ADMITTED'; seq: number; slot: number } | { kind: Rejection };

const rejections = new Set<string>(['SOLD_OUT', 'LIMIT_REACHED', 'NOT_STARTED', 'ENDED', 'NO_EVENT']);

export function parseAdmission(reply: unknown): Admission | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [kind, seq, slot] = reply as unknown[];
  if (kind === 'ADMITTED' && typeof seq === 'number' && typeof slot === 'number') return { kind, seq, slot };
  if (typeof kind === 'string' && rejections.has(kind) && reply.length === 1) return { kind: kind as Rejection };
  return undefined;
}

/** What the gate knows of an event: its counters, and the window it enforces. */
export interface GateFigures {
  stock: number;
  /** Tickets held by claims that were admitted and not given back. */
  admitted: number;
  startsAtMs: number;
  /** 0 when the event has no end. */
  endsAtMs: number;
}

/** A claim the gate admitted and still counts against the stock and the user's limit. */
export interface HeldClaim {
  claimId: string;
  slot: number;
  seq: number;
}

/** The admission window the gate enforces: a close ends it as an end time does. */
export const windowOf = (event: EventDefinition) => {
  const ends = [event.endsAt, event.closedAt].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return { startsAtMs: event.startsAt?.getTime() ?? 0, endsAtMs: ends.length > 0 ? Math.min(...ends) : 0 };
};

const unavailable = (what: string, error: unknown) =>
  new AppError(
    'GATE_UNAVAILABLE',
    `Redis did not answer ${what}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      retryable: true,
    },
  );

/** The one caller of the gate's Lua scripts; it alone knows their KEYS/ARGV order. */
export function createGate(redis: GateRedis) {
  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  return {
    async admitClaim(claim: { eventId: EventId; userId: UserId; claimId: string }): Promise<Admission> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`admit-claim for event ${claim.eventId}`, () =>
        redis.admitClaim([k.event, k.users, k.outbox, k.returned], [claim.userId, claim.claimId]),
      );
      const admission = parseAdmission(reply);
      if (admission) return admission;
      throw new AppError('GATE_BAD_REPLY', `admit-claim returned ${JSON.stringify(reply)} for claim ${claim.claimId}`);
    },

    /** Loads an event unless the gate holds it already; returns whether this call loaded it. */
    async loadEvent(event: EventDefinition, issued?: IssuedTickets): Promise<boolean> {
      const k = gateKeys(event.id);
      const { startsAtMs, endsAtMs } = windowOf(event);
      const users = [...(issued?.claimsByUser ?? [])].flatMap(([userId, claims]) => [
        userId,
        claims.map((c) => `${c.claimId}:${c.slot}:${c.seq}`).join(','),
      ]);
      const args = [event.stock, event.perUserLimit, startsAtMs, endsAtMs, issued?.maxSeq ?? 0, issued?.admitted ?? 0];
      const seeded = await call(`seed-event for event ${event.id}`, async () => {
        const result = await redis.seedEvent([k.event, k.users], [...args, ...users]);
        await redis.sAdd(activeEventsKey, event.id);
        return result;
      });
      return seeded === 1;
    },

    /** Ends the event in the gate now; returns false when the gate does not hold it. */
    async endEvent(eventId: EventId, endsAtMs: number): Promise<boolean> {
      const reply = await call(`end-event for event ${eventId}`, () =>
        redis.endEvent([gateKeys(eventId).event], [endsAtMs]),
      );
      return reply === 1;
    },

    /** Gives a claim's ticket back (it can never be issued); returns false when it was given back already. */
    async returnTicket(claim: { eventId: EventId; userId: UserId; claimId: string; seq: number }): Promise<boolean> {
      const k = gateKeys(claim.eventId);
      const reply = await call(`return-ticket for claim ${claim.claimId}`, () =>
        redis.returnTicket([k.event, k.users, k.returned], [claim.userId, claim.claimId, claim.seq]),
      );
      return reply === 1;
    },

    async readFigures(eventId: EventId): Promise<GateFigures | undefined> {
      const fields = await call(`figures for event ${eventId}`, () => redis.hGetAll(gateKeys(eventId).event));
      if (fields.stock === undefined) return undefined;
      return {
        stock: Number(fields.stock),
        admitted: Number(fields.admitted ?? 0),
        startsAtMs: Number(fields.startsAtMs ?? 0),
        endsAtMs: Number(fields.endsAtMs ?? 0),
      };
    },

    async listHeldClaims(eventId: EventId, userId: UserId): Promise<HeldClaim[]> {
      const held = await call(`claims of user in event ${eventId}`, () => redis.hGet(gateKeys(eventId).users, userId));
      if (!held) return [];
      return held.split(',').map((entry) => {
        const [claimId = '', slot, seq] = entry.split(':');
        return { claimId, slot: Number(slot), seq: Number(seq) };
      });
    },

    async ping(): Promise<void> {
      await call('PING', () => redis.ping());
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
