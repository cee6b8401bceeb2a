import { describe, expect, it } from 'vitest';
import { parseProcStat, parseProcStatus } from './proc-stats.ts';

describe('parseProcStat', () => {
  it('reads pid, parent and CPU time even when the name holds spaces and parentheses', () => {
    const text = '4242 (node (bench) x) S 17 4242 17 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 99 0 0';
    expect(parseProcStat(text)).toEqual({ pid: 4242, ppid: 17, cpuSeconds: 3 });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('parseProcStatus', () => {
  it('reads resident and peak resident memory in bytes', () => {
    const text = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssBytes: 100 * 2 ** 20, peakRssBytes: 200 * 2 ** 20 });
  });
});
