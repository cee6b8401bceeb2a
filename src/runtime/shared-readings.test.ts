import { describe, expect, it } from 'vitest';
import { createSharedReadings } from './shared-readings.ts';

describe('createSharedReadings', () => {
  it('reads once for everyone who asks about a key while a reading is young, and each key on its own', async () => {
    const reads: string[] = [];
    const readings = createSharedReadings(60_000, async (key: string) => {
      reads.push(key);
      return `${key}#${reads.length}`;
    });
    const [a, b, c] = await Promise.all([readings.read('x'), readings.read('x'), readings.read('y')]);
    expect([a.value, b.value, c.value]).toEqual(['x#1', 'x#1', 'y#2']);
    expect(a.atMs).toBe(b.atMs);
    expect((await readings.read('x')).value).toBe('x#1');
    expect(reads).toEqual(['x', 'y']);
  });

  it('reads afresh once a reading is as old as maxAgeMs', async () => {
    let count = 0;
    const readings = createSharedReadings(0, async () => ++count);
    expect((await readings.read('x')).value).toBe(1);
    expect((await readings.read('x')).value).toBe(2);
  });

  it('forgets a reading that failed, so the next ask reads again', async () => {
    let count = 0;
    const readings = createSharedReadings(60_000, async () => {
      if (++count === 1) throw new Error('down');
      return count;
    });
    await expect(readings.read('x')).rejects.toThrow('down');
    expect((await readings.read('x')).value).toBe(2);
  });
});
