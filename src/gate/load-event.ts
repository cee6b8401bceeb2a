import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { formatHeldClaim, type HeldClaim } from './held-claims.ts';
import { layoutOf, type EventLayout } from './event-layout.ts';
import { countHeldClaims } from './held-claims-count.ts';
import { activeEventsKey, stagingKeys } from './keys.ts';
import type { GateRedis } from './redis.ts';
import { TicketSet } from './ticket-set.ts';

/** A held claim with its user: what the database holds and the gate is loaded or repaired with. */
export interface UserTicket extends HeldClaim {
  userId: UserId;
}

/** The database's tickets of an event, page by page; it stops early when `onPage` answers false. */
export type TicketSource = (onPage: (page: UserTicket[]) => Promise<boolean>) => Promise<void>;

export const noTickets: TicketSource = async () => undefined;

/** Tickets read whole (Store.loadIssuedTickets) as a source of one page. */
export const ticketsOf =
  (issued: IssuedTickets): TicketSource =>
  async (onPage) => {
    const page = [...issued.claimsByUser].flatMap(([userId, claims]) => claims.map((c) => ({ ...c, userId })));
    if (page.length > 0) await onPage(page);
  };

/** What the gate enforces of an event: its numbers, its window (gate.ts's windowOf), and its shards. */
export interface GateEvent {
  id: EventId;
  stock: number;
  perUserLimit: number;
  shards: number;
  startsAtMs: number;
  /** 0 when the event has no end. */
  endsAtMs: number;
}

export interface LoadOptions {
  /** Users, or twice as many free tickets, per script call, so that no call holds Redis long. @defaultValue 500 */
  chunkSize: number;
  /** A loader's lease and staging keys lapse this long after its last call, in ms. @defaultValue 30_000 */
  leaseMs: number;
  /** How long a process waits for another's load before it answers unavailable, in ms. @defaultValue 60_000 */
  waitMs: number;
  /** Between looks at another process's load, in ms. @defaultValue 50 */
  pollMs: number;
}

export const defaultLoadOptions: LoadOptions = { chunkSize: 500, leaseMs: 30_000, waitMs: 60_000, pollMs: 50 };

/** The users of a page with their held claims, `size` users at a time, as flat userId, held-claims pairs. */
function* userChunks(page: UserTicket[], size: number): Generator<string[]> {
  const byUser = new Map<UserId, string[]>();
  for (const ticket of page) {
    const held = byUser.get(ticket.userId) ?? [];
    held.push(formatHeldClaim(ticket));
    byUser.set(ticket.userId, held);
  }
  let chunk: string[] = [];
  for (const [userId, held] of byUser) {
    chunk.push(userId, held.join(','));
    if (chunk.length === 2 * size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The shards (their indexes) whose event hash the gate does not hold: shard 0's is the pool. */
async function missingShards(redis: GateRedis, layout: EventLayout, what: string): Promise<number[]> {
  const present = await callGate(what, () => Promise.all(layout.shardKeys.map((k) => redis.hExists(k.event, 'stock'))));
  return present.flatMap((isThere, shard) => (isThere === 1 ? [] : [shard]));
}

/**
 * Loads an event into the gate unless it holds it already; returns whether this call loaded it.
 *
 * Listed first: the event's outboxes join the relays' list before anything makes it admit (in a cluster
 * the list and the event live on different nodes, so no one script can do both). Then one process of the
 * whole deployment loads it (the load lease); the others wait until it is loaded. The loader stages each
 * missing shard's users and, when the pool is missing, the free tickets (every ticket up to the highest
 * held that no claim holds) in chunks, under keys of its own, while the event does not admit yet; a last,
 * small call per shard renames them into place and creates its event hash, the pool's last. A loader
 * that lost its lease, or whose keys expired, loads nothing.
 */
export async function loadEvent(
  redis: GateRedis,
  event: GateEvent,
  tickets: TicketSource,
  options: LoadOptions,
): Promise<boolean> {
  const layout = layoutOf(event.id, event.shards);
  const what = `the load of event ${event.id}`;
  await callGate(what, () => redis.sAdd(activeEventsKey, [...layout.tags]));
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const missing = await missingShards(redis, layout, what);
    if (missing.length === 0) return false;
    const loaderId = randomBytes(9).toString('base64url');
    if ((await callGate(what, () => redis.takeLease([layout.pool.loading], [loaderId, options.leaseMs]))) === 1) {
      // Another loader may have finished between the look and the lease: look again, holding it.
      const stillMissing = await missingShards(redis, layout, what);
      if (stillMissing.length === 0) {
        await callGate(what, () => redis.dropLease([layout.pool.loading], [loaderId]));
        return false;
      }
      const outcome = await loadAs(redis, event, layout, stillMissing, tickets, loaderId, options);
      if (outcome !== 'lost') return outcome === 'seeded';
    }
    if (Date.now() > deadline) {
      throw new AppError(
        'GATE_UNAVAILABLE',
        `event ${event.id} was not loaded into the gate within ${options.waitMs} ms; is the database slow?`,
        { retryable: true },
      );
    }
    await sleep(options.pollMs);
  }
}

/** What a load knows of one missing shard while it stages it. */
interface StagedShard {
  shard: number;
  users: number;
  admitted: number;
}

/**
 * A shard that survived a loss of the pool keeps its users (claims the database may not hold yet), and
 * its lease is taken back with the load's epoch: the new pool counts those tickets free, and a grant of the
 * old pool still in flight is refused. Returns the epoch the reloaded event starts with.
 */
async function takeOverSurvivors(
  redis: GateRedis,
  layout: EventLayout,
  survivors: number[],
  held: TicketSet,
  what: string,
): Promise<{ epoch: number; highest: number }> {
  const epochs = await callGate(what, () =>
    Promise.all(survivors.map((shard) => redis.hGet(layout.shardKeys[shard]!.event, 'epoch'))),
  );
  const epoch = Math.max(Date.now(), ...epochs.map((e) => Number(e ?? 0) + 1));
  let highest = 0;
  for (const shard of survivors) {
    const k = layout.shardKeys[shard]!;
    await callGate(what, () => redis.surrenderLease([k.event, k.lease], [epoch]));
    const counted = await callGate(what, () => countHeldClaims(redis, k.users, held));
    highest = Math.max(highest, counted.highest);
  }
  return { epoch, highest };
}

async function loadAs(
  redis: GateRedis,
  event: GateEvent,
  layout: EventLayout,
  missing: number[],
  tickets: TicketSource,
  loaderId: string,
  { chunkSize, leaseMs }: LoadOptions,
): Promise<'seeded' | 'loaded' | 'lost'> {
  const what = `the load of event ${event.id}`;
  const isPoolMissing = missing.includes(0);
  const staged = new Map<number, StagedShard>(missing.map((shard) => [shard, { shard, users: 0, admitted: 0 }]));
  const stagingOf = (shard: number) => stagingKeys(layout.tags[shard]!, loaderId);
  const stage = async (shard: number, users: string[], free: number[]): Promise<number> => {
    const k = layout.shardKeys[shard]!;
    const keys = stagingOf(shard);
    const reply = await callGate(what, () =>
      redis.stageEvent(
        [k.event, k.loading, keys.users, keys.free],
        [loaderId, leaseMs, users.length / 2, ...users, ...free],
      ),
    );
    return typeof reply === 'number' ? reply : -1;
  };
  const abandon = () =>
    callGate(what, async () => {
      for (const shard of missing) {
        const keys = stagingOf(shard);
        await redis.del([keys.users, keys.free]);
        await redis.dropLease([layout.shardKeys[shard]!.loading], [loaderId]);
      }
    });

  try {
    // Shard 0's load lease is taken already; every other missing shard's too, or another loader is at work.
    for (const shard of missing.filter((s) => s !== 0)) {
      const k = layout.shardKeys[shard]!;
      if ((await callGate(what, () => redis.takeLease([k.loading], [loaderId, leaseMs]))) !== 1) {
        await abandon();
        return 'lost';
      }
    }
    const held = new TicketSet();
    const survivors = layout.shardKeys.map((_, shard) => shard).filter((shard) => !missing.includes(shard));
    let epoch: number;
    let highest = 0;
    if (isPoolMissing) {
      // Shard 0's lease went with the pool, or is a leftover: the load counts its tickets free.
      await callGate(what, () => redis.del(layout.pool.lease));
      ({ epoch, highest } = await takeOverSurvivors(redis, layout, survivors, held, what));
    } else {
      epoch = Number((await callGate(what, () => redis.hGet(layout.pool.event, 'epoch'))) ?? 0);
    }
    let isMine = true;
    await tickets(async (page) => {
      const byShard = new Map<number, UserTicket[]>();
      for (const ticket of page) {
        held.add(ticket.seq);
        highest = Math.max(highest, ticket.seq);
        const shard = layout.homeOf(ticket.userId);
        const into = staged.get(shard);
        if (!into) continue;
        into.admitted++;
        byShard.set(shard, [...(byShard.get(shard) ?? []), ticket]);
      }
      for (const [shard, shardPage] of byShard) {
        for (const chunk of userChunks(shardPage, chunkSize)) {
          const created = await stage(shard, chunk, []);
          if (created < 0) {
            isMine = false;
            return false;
          }
          staged.get(shard)!.users += created;
        }
      }
      return true;
    });
    let free = 0;
    for (const chunk of isMine && isPoolMissing ? held.missing(Math.min(highest, event.stock), 2 * chunkSize) : []) {
      if ((await stage(0, [], chunk)) < 0) {
        isMine = false;
        break;
      }
      free += chunk.length;
    }
    if (!isMine) {
      await abandon();
      return 'lost';
    }
    // The pool last: the other shards cannot admit before it is there to lease from.
    const order = [...missing.filter((s) => s !== 0), ...(isPoolMissing ? [0] : [])];
    let outcome: 'seeded' | 'loaded' | 'lost' = 'loaded';
    for (const shard of order) {
      const k = layout.shardKeys[shard]!;
      const keys = stagingOf(shard);
      const { users, admitted } = staged.get(shard)!;
      const isPool = shard === 0;
      const reply = await callGate(what, () =>
        redis.seedEvent(
          [k.event, k.users, isPool ? k.returned : k.lease, k.loading, keys.users, keys.free],
          [
            loaderId,
            event.stock,
            event.perUserLimit,
            event.startsAtMs,
            event.endsAtMs,
            isPool ? highest : 0,
            admitted,
            users,
            isPool ? free : 0,
            isPool ? event.shards : '',
            epoch,
          ],
        ),
      );
      if (reply === -1) outcome = 'lost';
      else if (reply === 1 && outcome !== 'lost') outcome = 'seeded';
    }
    return outcome;
  } catch (error) {
    await abandon().catch(() => undefined);
    throw error;
  }
}
