import { randomBytes } from 'node:crypto';
import type { UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { layoutOf, type EventLayout } from './event-layout.ts';
import { countHeldClaims } from './held-claims-count.ts';
import { formatHeldClaim } from './held-claims.ts';
import { activeEventsKey, stagingKeys } from './keys.ts';
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

/** The pairs grouped by the shard their user is homed on. */
function byHomeShard<T extends { userId: UserId }>(layout: EventLayout, items: T[], pair: (item: T) => string[]) {
  const shards = new Map<number, string[][]>();
  for (const item of items) {
    const shard = layout.homeOf(item.userId);
    shards.set(shard, [...(shards.get(shard) ?? []), pair(item)]);
  }
  return shards;
}

/**
 * Brings the gate in line with the database (reconcile --repair), in chunks: no call walks the whole
 * event. Every shard is paused first (admissions answer unavailable; the pause lapses should the repair
 * die), then chunks drop the dead claims and add the database's claims on their users' home shards, the
 * claims held on every shard are counted, the free tickets (up to the ticket counter, held by no claim,
 * leases included) are staged in chunks, and a last small call sets the pool's counters, puts the staged
 * tickets in place and resumes it; then each leasing shard resumes with its count and an empty lease.
 * A ticket given back to shard 0 meanwhile (the retry job) makes the count start again; a leasing shard
 * refuses it while paused. An event the gate lost is loaded instead, from the claims to hold, as a claim
 * would load it (load-event.ts): a repair that dies half-way leaves it unloaded, never loaded half.
 */
export async function repairEvent(
  redis: GateRedis,
  event: GateEvent,
  changes: RepairChanges,
  { chunkSize, pauseMs }: RepairOptions,
  loadOptions: LoadOptions,
  onStep: (step: RepairStep) => Promise<void> | void = () => undefined,
): Promise<RepairedFigures> {
  const layout = layoutOf(event.id, event.shards);
  const pool = layout.pool;
  const repairId = randomBytes(9).toString('base64url');
  const what = `the repair of event ${event.id}`;
  const overtaken = () =>
    new AppError('GATE_UNAVAILABLE', `another repair of event ${event.id} took over; run reconcile again`, {
      retryable: true,
    });
  const chunk = async (shard: number, stagedFree: string, drop: string[], hold: string[], free: number[]) => {
    const k = layout.shardKeys[shard]!;
    const reply = await callGate(what, () =>
      redis.repairEvent(
        [k.event, k.users, stagedFree],
        [repairId, pauseMs, drop.length / 2, hold.length / 2, ...drop, ...hold, ...free],
      ),
    );
    if (reply !== 1) throw overtaken();
  };
  const admittedOf = async (shard: number) =>
    Number((await callGate(what, () => redis.hGet(layout.shardKeys[shard]!.event, 'admitted'))) ?? 0);

  if ((await callGate(what, () => redis.hExists(pool.event, 'stock'))) === 0) {
    const hold = async (onPage: (page: UserTicket[]) => Promise<boolean>) => {
      if (changes.hold.length > 0) await onPage(changes.hold);
    };
    if (await loadEvent(redis, event, hold, loadOptions)) {
      const [seq, returned, ...admitted] = await callGate(what, () =>
        Promise.all([
          redis.hGet(pool.event, 'seq'),
          redis.lLen(pool.returned),
          ...layout.shardKeys.map((k) => redis.hGet(k.event, 'admitted')),
        ]),
      );
      return { admitted: sum(admitted.map(Number)), seq: Number(seq ?? 0), returned: Number(returned) };
    }
  }
  // Listed first, as a load does: the relay must read the outbox of any shard that admits.
  await callGate(what, () => redis.sAdd(activeEventsKey, [...layout.tags]));
  const epochs = await callGate(what, () => Promise.all(layout.shardKeys.map((k) => redis.hGet(k.event, 'epoch'))));
  // Grants and sweeps from before the repair are refused or dropped: it counts their tickets free.
  const epoch = Math.max(Date.now(), ...epochs.map((e) => Number(e ?? 0) + 1));
  for (const [shard, k] of layout.shardKeys.entries()) {
    await callGate(what, () =>
      redis.pauseEvent(
        [k.event],
        [
          repairId,
          pauseMs,
          event.stock,
          event.perUserLimit,
          event.startsAtMs,
          event.endsAtMs,
          shard === 0 ? event.shards : '',
        ],
      ),
    );
  }
  await onStep('paused');
  const unused = (shard: number) => stagingKeys(layout.tags[shard]!, repairId).free;
  for (const [shard, pairs] of byHomeShard(layout, changes.drop, (d) => [d.userId, d.claimId])) {
    for (const drop of pairChunks(pairs, chunkSize)) await chunk(shard, unused(shard), drop, [], []);
  }
  for (const [shard, pairs] of byHomeShard(layout, changes.hold, (h) => [h.userId, formatHeldClaim(h)])) {
    for (const hold of pairChunks(pairs, chunkSize)) await chunk(shard, unused(shard), [], hold, []);
  }

  for (let attempt = 1; attempt <= countAttempts; attempt++) {
    const staged = stagingKeys(layout.tags[0]!, `${repairId}.${attempt}`).free;
    const admittedBefore = await Promise.all(layout.shardKeys.map((_, shard) => admittedOf(shard)));
    const seqBefore = await callGate(what, () => redis.hGet(pool.event, 'seq'));
    const held = new TicketSet();
    const counts: Array<Awaited<ReturnType<typeof countHeldClaims>>> = [];
    for (const k of layout.shardKeys) counts.push(await callGate(what, () => countHeldClaims(redis, k.users, held)));
    await onStep('counted');
    const seq = Math.max(Number(seqBefore ?? 0), ...counts.map((c) => c.highest));
    let free = 0;
    for (const tickets of held.missing(Math.min(seq, event.stock), 2 * chunkSize)) {
      await chunk(0, staged, [], [], tickets);
      free += tickets.length;
    }
    // Shard 0 is paused with the pool, so nothing lands in its lease before the resume: its tickets are counted free.
    await callGate(what, () => redis.del(pool.lease));
    const reply = await callGate(what, () =>
      redis.resumeEvent(
        [pool.event, pool.returned, staged],
        [repairId, admittedBefore[0]!, counts[0]!.admitted, seq, free, epoch],
      ),
    );
    const [first, second, third] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (typeof first === 'number' && typeof second === 'number' && typeof third === 'number') {
      for (const [shard, k] of layout.shardKeys.entries()) {
        if (shard === 0) continue;
        const resumed = await callGate(what, () =>
          redis.resumeEvent(
            [k.event, k.lease, unused(shard)],
            [repairId, admittedBefore[shard]!, counts[shard]!.admitted, 0, 0, epoch],
          ),
        );
        if (!Array.isArray(resumed) || typeof resumed[0] !== 'number') throw overtaken();
      }
      return { admitted: sum(counts.map((c) => c.admitted)), seq: second, returned: third };
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

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
