import { crc32 } from 'node:zlib';
import type { EventId, UserId } from '../claim.ts';

/** Redis Cluster's slot count: a key's slot is CRC16(hash tag) mod this. */
const slotCount = 16_384;

const crc16Table = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/** The cluster slot of a hash tag (CRC16/XMODEM, as Redis Cluster computes it). */
export function slotOf(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) crc = ((crc << 8) & 0xffff) ^ crc16Table[((crc >> 8) ^ byte) & 0xff]!;
  return crc % slotCount;
}

/** The slot range a shard aims for: the k-th of `shards` equal slices, as `redis-cli --cluster create` deals them. */
const rangeOf = (slot: number, shards: number) => Math.floor((slot * shards) / slotCount);

const tagCache = new Map<string, readonly string[]>();

/**
 * The hash tags of an event's shards, derived from its id and shard count alone, so a gate rebuilt after a
 * Redis loss finds every shard where it was. Shard 0 is the event id itself, which the pool shares; each
 * other shard takes the first `id~n` whose slot falls in a slice of the slot space no other shard has, so
 * on a cluster whose masters split the slots evenly the shards land on distinct masters.
 */
export function shardTags(eventId: EventId, shards: number): readonly string[] {
  const cacheKey = `${eventId} ${shards}`;
  const cached = tagCache.get(cacheKey);
  if (cached) return cached;
  const taken = new Set([rangeOf(slotOf(eventId), shards)]);
  const tags = [eventId];
  for (let n = 0; tags.length < shards; n++) {
    const tag = `${eventId}~${n}`;
    const range = rangeOf(slotOf(tag), shards);
    if (taken.has(range)) continue;
    taken.add(range);
    tags.push(tag);
  }
  const frozen = Object.freeze(tags);
  if (tagCache.size > 10_000) tagCache.clear();
  tagCache.set(cacheKey, frozen);
  return frozen;
}

/** The event a shard's tag belongs to (an event id never holds '~'). */
export const eventOfTag = (tag: string): EventId => tag.split('~', 1)[0]!;

/** The shard a user's claims live on, so that the per-user limit stays one atomic step on one shard. */
export const homeShard = (userId: UserId, shards: number): number => (shards === 1 ? 0 : crc32(userId) % shards);

/** The most shards an event may have: CONTRACT.md's `shards` 1..256. */
export const maxShards = 256;
