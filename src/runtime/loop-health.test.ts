import { describe, expect, it } from 'vitest';
import { createLoopHealth } from './loop-health.ts';

describe('createLoopHealth', () => {
  const clocked = () => {
    const clock = { ms: 0 };
    return { clock, health: createLoopHealth('relay', 1000, () => clock.ms) };
  };

  it('is alive while it waits between turns, however long', () => {
    const { clock, health } = clocked();
    clock.ms = 60_000;
    expect(health.read()).toEqual({ isAlive: true });
  });

  it('is stalled once a turn has run stalledAfterMs without ending, and alive again when it ends', () => {
    const { clock, health } = clocked();
    health.started('a cycle');
    clock.ms = 999;
    expect(health.read()).toEqual({ isAlive: true });
    clock.ms = 1500;
    expect(health.read()).toEqual({
      isAlive: false,
      reason: 'relay: a cycle has not finished for 1.5s (stalled after 1000 ms)',
    });
    health.ended();
    expect(health.read()).toEqual({ isAlive: true });
  });

  it('counts a retried turn from its first try, and names its last error', () => {
    const { clock, health } = clocked();
    health.started('a cycle');
    health.failed(new Error('Kafka did not answer'));
    clock.ms = 800;
    health.started('a cycle');
    clock.ms = 1200;
    expect(health.read()).toEqual({
      isAlive: false,
      reason: 'relay: a cycle has not finished for 1.2s (stalled after 1000 ms); last error: Kafka did not answer',
    });
  });
});
