import { describe, expect, it } from 'vitest';
import { parseQueueBenchArgs } from './queue-bench-options.ts';

describe('parseQueueBenchArgs', () => {
  it('has the issue 13 defaults: 200,000 users, 200 and 2,000 admitted per second for 10 s, one shard', () => {
    expect(parseQueueBenchArgs([])).toMatchObject({ users: 200_000, rates: [200, 2000], paceSeconds: 10, shards: [1] });
    expect(parseQueueBenchArgs(['--redis', 'cluster'])).toMatchObject({ shards: [1, 3] });
    expect(parseQueueBenchArgs(['--quick'])).toMatchObject({ users: 10_000, paceSeconds: 2 });
  });

  it('refuses too few users for its paced runs', () => {
    expect(() => parseQueueBenchArgs(['--users', '1000'])).toThrow(/need 26400 users/);
  });

  it('refuses a shard count the gate does not take, or one given twice', () => {
    expect(() => parseQueueBenchArgs(['--shards', '1,300'])).toThrow(/--shards: each at most 256/);
    expect(() => parseQueueBenchArgs(['--shards', '3,3'])).toThrow(/--shards: each once/);
  });
});
