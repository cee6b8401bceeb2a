import type { UserId } from '../claim.ts';
import { parseHeldClaims } from './held-claims.ts';
import type { GateRedis } from './redis.ts';
import { TicketSet } from './ticket-set.ts';

/**
 * The claims a shard's users hash holds, counted page by page (HSCAN may repeat a user: each counts once);
 * their tickets are added to `tickets`, which may hold other shards' already.
 */
export async function countHeldClaims(redis: GateRedis, usersKey: string, tickets = new TicketSet()) {
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
