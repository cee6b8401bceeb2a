import type { EventId, UserId } from '../claim.ts';
import { gateKeys } from './keys.ts';
import { homeShard, shardTags } from './shards.ts';

export type ShardKeys = ReturnType<typeof gateKeys>;

/** Where an event lives in the gate: its shards' keys, shard 0 first, whose event hash is the pool too. */
export interface EventLayout {
  eventId: EventId;
  shards: number;
  /** Each shard's hash tag, which also names its outbox on the relays' list. */
  tags: readonly string[];
  /** Shard 0's keys: the pool (stock, the ticket counter, the free tickets) and shard 0's claims. */
  pool: ShardKeys;
  shardKeys: readonly ShardKeys[];
  /** The index of the shard a user's claims live on. */
  homeOf(userId: UserId): number;
}

const layouts = new Map<string, EventLayout>();

/** The layout of an event of `shards` shards; the same object for the same event, so claims build no keys. */
export function layoutOf(eventId: EventId, shards: number): EventLayout {
  const cacheKey = `${eventId} ${shards}`;
  let layout = layouts.get(cacheKey);
  if (!layout) {
    const tags = shardTags(eventId, shards);
    const shardKeys = tags.map(gateKeys);
    layout = { eventId, shards, tags, pool: shardKeys[0]!, shardKeys, homeOf: (userId) => homeShard(userId, shards) };
    if (layouts.size > 10_000) layouts.clear();
    layouts.set(cacheKey, layout);
  }
  return layout;
}
