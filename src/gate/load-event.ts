import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventId, IssuedTickets, UserId } from '../claim.ts';
import { AppError } from '../errors.ts';
import { callGate } from './gate-call.ts';
import { formatHeldClaim, type HeldClaim } from './held-claims.ts';
import { activeEventsKey, gateKeys, stagingKeys } from './keys.ts';
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

/** What the gate enforces of an event: its numbers and its window (gate.ts's windowOf). */
export interface GateEvent {
  id: EventId;
  stock: number;
  perUserLimit: number;
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

/**
 * Loads an event into the gate unless it holds it already; returns whether this call loaded it.
 *
 * Listed first: the event joins the relay's list before anything makes it admit (in a cluster the list
 * and the event live on different nodes, so no one script can do both). Then one process of the whole
 * deployment loads it (the load lease); the others wait until it is loaded. The loader stages the users
 * and the free tickets (every ticket up to the highest held that no claim holds) in chunks, under keys
 * of its own, while the event does not admit yet; its last, small call renames them into place and
 * creates the event hash. A loader that lost its lease, or whose keys expired, loads nothing.
 */
export async function loadEvent(
  redis: GateRedis,
  event: GateEvent,
  tickets: TicketSource,
  options: LoadOptions,
): Promise<boolean> {
  const k = gateKeys(event.id);
  const what = `the load of event ${event.id}`;
  await callGate(what, () => redis.sAdd(activeEventsKey, event.id));
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    if ((await callGate(what, () => redis.hExists(k.event, 'stock'))) === 1) return false;
    const loaderId = randomBytes(9).toString('base64url');
    if ((await callGate(what, () => redis.takeLease([k.loading], [loaderId, options.leaseMs]))) === 1) {
      const outcome = await loadAs(redis, event, tickets, loaderId, options);
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

async function loadAs(
  redis: GateRedis,
  event: GateEvent,
  tickets: TicketSource,
  loaderId: string,
  { chunkSize, leaseMs }: LoadOptions,
): Promise<'seeded' | 'loaded' | 'lost'> {
  const k = gateKeys(event.id);
  const staged = stagingKeys(event.id, loaderId);
  const what = `the load of event ${event.id}`;
  const stage = async (users: string[], free: number[]): Promise<number> => {
    const reply = await callGate(what, () =>
      redis.stageEvent(
        [k.event, k.loading, staged.users, staged.free],
        [loaderId, leaseMs, users.length / 2, ...users, ...free],
      ),
    );
    return typeof reply === 'number' ? reply : -1;
  };
  const abandon = () =>
    callGate(what, async () => {
      await redis.del([staged.users, staged.free]);
      await redis.dropLease([k.loading], [loaderId]);
    });

  let users = 0;
  let admitted = 0;
  let highest = 0;
  let isMine = true;
  const held = new TicketSet();
  try {
    await tickets(async (page) => {
      for (const ticket of page) {
        held.add(ticket.seq);
        highest = Math.max(highest, ticket.seq);
      }
      admitted += page.length;
      for (const chunk of userChunks(page, chunkSize)) {
        const created = await stage(chunk, []);
        if (created < 0) {
          isMine = false;
          return false;
        }
        users += created;
      }
      return true;
    });
    let free = 0;
    for (const chunk of isMine ? held.missing(Math.min(highest, event.stock), 2 * chunkSize) : []) {
      if ((await stage([], chunk)) < 0) {
        isMine = false;
        break;
      }
      free += chunk.length;
    }
    if (!isMine) {
      await abandon();
      return 'lost';
    }
    const reply = await callGate(what, () =>
      redis.seedEvent(
        [k.event, k.users, k.returned, k.loading, staged.users, staged.free],
        [loaderId, event.stock, event.perUserLimit, event.startsAtMs, event.endsAtMs, highest, admitted, users, free],
      ),
    );
    return reply === 1 ? 'seeded' : reply === 0 ? 'loaded' : 'lost';
  } catch (error) {
    await abandon().catch(() => undefined);
    throw error;
  }
}
