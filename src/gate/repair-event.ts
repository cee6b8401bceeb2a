import { randomBytes } from 'node:crypto';
import type { UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { formatHeldClaim, parseHeldClaims } from './held-claims.ts';
import { activeEventsKey, gateKeys, stagingKeys } from './keys.ts';
import { type GateEvent, loadEvent, type LoadOptions, type UserTicket } from './load-event.ts';
import type { GateRedis } from './redis.ts';
import { TicketSet } from './ticket-set.ts';

/** What a repair left in the gate. */
export interface RepairedFigures {
  admitted: number;
  seq: number;
  /** Tickets within stock that no claim holds, ready for the next admissions. */
  returned: number;
}

export interface RepairChanges {
  /** The database's claims the gate must hold. */
  hold: UserTicket[];
  /** Dead claims the gate must stop holding. */
  drop: Array<{ userId: UserId; claimId: string }>;
}

export interface RepairOptions {
  /** Claims, or twice as many free tickets, per script call, so that no call holds Redis long. @defaultValue 500 */
  chunkSize: number;
  /** The event stays paused this long after the repair's last call, should the repair die, in ms. @defaultValue 30_000 */
  pauseMs: number;
}

export const defaultRepairOptions: RepairOptions = { chunkSize: 500, pauseMs: 30_000 };

/** Where a repair is, for whoever watches it (a test, a progress line). */
export type RepairStep = 'paused' | 'counted';

// A ticket given back while the claims are counted makes the count stale: count again, a few times.
const countAttempts = 5;

const pairChunks = (pairs: string[][], size: number): string[][] => {
  const chunks: string[][] = [];
  for (let i = 0; i < pairs.length; i += size) chunks.push(pairs.slice(i, i + size).flat());
  return chunks;
};

/** The claims the users hash holds, counted page by page (HSCAN may repeat a user: each counts once). */
async function countHeldClaims(redis: GateRedis, usersKey: string) {
  const tickets = new TicketSet();
  const seen = new Set<UserId>();
  let admitted = 0;
  let highest = 0;
  let cursor = '0';
  do {
    const page = await redis.hScan(usersKey, cursor, { COUNT: 1000 });
    for (const { field, value } of page.entries) {
      if (seen.has(field)) continue;
      seen.add(field);
      for (const claim of parseHeldClaims(value)) {
        admitted++;
        tickets.add(claim.seq);
        highest = Math.max(highest, claim.seq);
      }
    }
    cursor = String(page.cursor);
  } while (cursor !== '0');
  return { tickets, admitted, highest };
}

/**
 * Brings the gate in line with the database (reconcile --repair), in chunks: no call walks the whole
 * event. The event is paused first (admissions answer unavailable; the pause lapses should the repair
 * die), then chunks drop the dead claims and add the database's claims, the claims held are counted,
 * the free tickets (up to the ticket counter, held by no claim) are staged in chunks, and a last small
 * call sets the counters, puts the staged tickets in place and resumes the event. A ticket given back
 * meanwhile (the retry job) makes the count start again. An event the gate lost is loaded instead, from
 * the claims to hold, as a claim would load it (load-event.ts): a repair that dies half-way leaves it
 * unloaded, never loaded half.
 */
export async function repairEvent(
  redis: GateRedis,
  event: GateEvent,
  changes: RepairChanges,
  { chunkSize, pauseMs }: RepairOptions,
  loadOptions: LoadOptions,
  onStep: (step: RepairStep) => Promise<void> | void = () => undefined,
): Promise<RepairedFigures> {
  const k = gateKeys(event.id);
  const repairId = randomBytes(9).toString('base64url');
  const what = `the repair of event ${event.id}`;
  const overtaken = () =>
    new AppError('GATE_UNAVAILABLE', `another repair of event ${event.id} took over; run reconcile again`, {
      retryable: true,
    });
  const chunk = async (stagedFree: string, drop: string[], hold: string[], free: number[]) => {
    const reply = await callGate(what, () =>
      redis.repairEvent(
        [k.event, k.users, stagedFree],
        [repairId, pauseMs, drop.length / 2, hold.length / 2, ...drop, ...hold, ...free],
      ),
    );
    if (reply !== 1) throw overtaken();
  };

  if ((await callGate(what, () => redis.hExists(k.event, 'stock'))) === 0) {
    const hold = async (onPage: (page: UserTicket[]) => Promise<boolean>) => {
      if (changes.hold.length > 0) await onPage(changes.hold);
    };
    if (await loadEvent(redis, event, hold, loadOptions)) {
      const [[admitted, seq], returned] = await callGate(what, () =>
        Promise.all([redis.hmGet(k.event, ['admitted', 'seq']), redis.lLen(k.returned)]),
      );
      return { admitted: Number(admitted ?? 0), seq: Number(seq ?? 0), returned };
    }
  }
  // Listed first, as a load does: the relay must read the outbox of any event that admits.
  await callGate(what, () => redis.sAdd(activeEventsKey, event.id));
  await callGate(what, () =>
    redis.pauseEvent([k.event], [repairId, pauseMs, event.stock, event.perUserLimit, event.startsAtMs, event.endsAtMs]),
  );
  await onStep('paused');
  const unused = stagingKeys(event.id, repairId).free;
  for (const drop of pairChunks(
    changes.drop.map((d) => [d.userId, d.claimId]),
    chunkSize,
  )) {
    await chunk(unused, drop, [], []);
  }
  for (const hold of pairChunks(
    changes.hold.map((h) => [h.userId, formatHeldClaim(h)]),
    chunkSize,
  )) {
    await chunk(unused, [], hold, []);
  }

  for (let attempt = 1; attempt <= countAttempts; attempt++) {
    const staged = stagingKeys(event.id, `${repairId}.${attempt}`).free;
    const [admittedBefore, seqBefore] = await callGate(what, () => redis.hmGet(k.event, ['admitted', 'seq']));
    const held = await callGate(what, () => countHeldClaims(redis, k.users));
    await onStep('counted');
    const seq = Math.max(Number(seqBefore ?? 0), held.highest);
    let free = 0;
    for (const tickets of held.tickets.missing(Math.min(seq, event.stock), 2 * chunkSize)) {
      await chunk(staged, [], [], tickets);
      free += tickets.length;
    }
    const reply = await callGate(what, () =>
      redis.resumeEvent(
        [k.event, k.returned, staged],
        [repairId, Number(admittedBefore ?? 0), held.admitted, seq, free],
      ),
    );
    const [first, second, third] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (typeof first === 'number' && typeof second === 'number' && typeof third === 'number') {
      return { admitted: first, seq: second, returned: third };
    }
    if (first === 'OVERTAKEN') throw overtaken();
    if (first !== 'CHANGED') {
      throw new AppError('GATE_BAD_REPLY', `resume-event returned ${JSON.stringify(reply)} for event ${event.id}`);
    }
  }
  throw new AppError(
    'GATE_UNAVAILABLE',
    `the gate of event ${event.id} kept changing while it was counted; run reconcile --repair again`,
    { retryable: true },
  );
}
