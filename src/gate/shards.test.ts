import { describe, expect, it } from 'vitest';
import { eventOfTag, homeShard, shardTags, slotOf } from './shards.ts';

describe('shard layout', () => {
  it('computes the slots Redis Cluster documents', () => {
    // CLUSTER KEYSLOT values from the Redis Cluster specification and a live cluster.
    expect(slotOf('123456789')).toBe(12_739);
    expect(slotOf('foo')).toBe(12_182);
    expect(slotOf('user1000')).toBe(3_443);
  });

  it('puts shard 0 on the event id and every other shard in a slice of the slots of its own', () => {
    const tags = shardTags('drop-42', 3);
    expect(tags[0]).toBe('drop-42');
    expect(tags).toHaveLength(3);
    const slices = tags.map((tag) => Math.floor((slotOf(tag) * 3) / 16_384));
    expect(new Set(slices).size).toBe(3);
    expect(tags.map(eventOfTag)).toEqual(['drop-42', 'drop-42', 'drop-42']);
  });

  it('gives the same tags every time, for up to 256 shards', () => {
    const tags = shardTags('big', 256);
    expect(new Set(tags).size).toBe(256);
    expect(shardTags('big', 256)).toEqual(tags);
  });

  it('homes a user on one shard, spreading users over all of them', () => {
    expect(homeShard('anyone', 1)).toBe(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[homeShard(`user-${i}`, 3)]!++;
    expect(homeShard('user-7', 3)).toBe(homeShard('user-7', 3));
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });
});
