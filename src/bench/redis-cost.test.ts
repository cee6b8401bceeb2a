import { describe, expect, it } from 'vitest';
import {
  costOfReadings,
  costPerClaim,
  parseCommandCalls,
  parseCpuSeconds,
  sumUsages,
  usageBetween,
} from './redis-cost.ts';

describe('parseCommandCalls', () => {
  it('sums every command’s calls, leaving out the INFO the bench sends itself', () => {
    const text = [
      '# Commandstats',
      'cmdstat_evalsha:calls=1000,usec=9000,usec_per_call=9.00,rejected_calls=0,failed_calls=0',
      'cmdstat_time:calls=1000,usec=300,usec_per_call=0.30,rejected_calls=0,failed_calls=0',
      'cmdstat_info:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0',
      'cmdstat_client|setinfo:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0',
    ].join('\r\n');
    expect(parseCommandCalls(text)).toBe(2002);
  });
});

describe('parseCpuSeconds', () => {
  it('adds the main process’s system and user CPU, not its children’s', () => {
    const text = '# CPU\r\nused_cpu_sys:4.5\r\nused_cpu_user:9.25\r\nused_cpu_sys_children:100.0\r\n';
    expect(parseCpuSeconds(text)).toBe(13.75);
  });

  it('refuses a reply without them', () => {
    expect(() => parseCpuSeconds('# CPU\r\n')).toThrow(/used_cpu_sys/);
  });
});

describe('costPerClaim', () => {
  const idle = { usage: { commandCalls: 50, cpuSeconds: 0.01 }, seconds: 0.5 };

  it('divides the load’s commands and CPU by the claims answered and by the admissions', () => {
    const cost = costPerClaim(
      { commandCalls: 1_000, cpuSeconds: 10 },
      { commandCalls: 61_000, cpuSeconds: 10.6 },
      { claims: 30_000, admitted: 2_000 },
      idle,
    );
    expect(cost).toEqual({
      commands: 60_000,
      cpuSeconds: 0.6,
      commandsPerClaim: 2,
      cpuMsPer1000Claims: 20,
      cpuMsPerAdmission: 0.3,
      backgroundCommandsPerSec: 100,
      backgroundCpuMsPerSec: 20,
    });
  });

  it('reads zero for a design that never touched Redis, and no per-admission figure without admissions', () => {
    const same = { commandCalls: 5, cpuSeconds: 1 };
    expect(costPerClaim(same, same, { claims: 100, admitted: 0 }, idle)).toMatchObject({
      commandsPerClaim: 0,
      cpuMsPer1000Claims: 0,
      cpuMsPerAdmission: null,
    });
  });
});

describe('sumUsages and usageBetween', () => {
  it('add a cluster’s nodes up and take an idle window’s difference', () => {
    const a = { commandCalls: 10, cpuSeconds: 1 };
    const b = { commandCalls: 30, cpuSeconds: 2.5 };
    expect(sumUsages([a, b])).toEqual({ commandCalls: 40, cpuSeconds: 3.5 });
    expect(usageBetween(a, b)).toEqual({ commandCalls: 20, cpuSeconds: 1.5 });
  });
});

describe('costOfReadings', () => {
  const reading = (all: [number, number], masters: [number, number], nodes = 6, masterCount = 3) => ({
    all: { commandCalls: all[0], cpuSeconds: all[1] },
    masters: { commandCalls: masters[0], cpuSeconds: masters[1] },
    nodes,
    masterCount,
  });

  it('sums every node, gives the masters alone beside it, and divides the counted requests by the claims', () => {
    const cost = costOfReadings(
      reading([0, 0], [0, 0]),
      reading([1_000, 1], [500, 0.5]),
      reading([31_000, 1.9], [16_000, 1.1]),
      { claims: 10_000, admitted: 1_000 },
      0.5,
      1_200,
    );
    expect(cost).toMatchObject({
      commandsPerClaim: 3,
      cpuMsPer1000Claims: 90,
      callsPerClaim: 0.12,
      nodes: 6,
      masters: { nodes: 3, commandsPerClaim: 1.55, cpuMsPer1000Claims: 60, cpuMsPerAdmission: 0.6 },
    });
  });

  it('gives each node’s share when the readings name them', () => {
    const node = (url: string, isMaster: boolean, commandCalls: number, cpuSeconds: number) => ({
      url,
      isMaster,
      commandCalls,
      cpuSeconds,
    });
    const before = {
      ...reading([0, 0], [0, 0], 2, 1),
      perNode: [node('redis://127.0.0.1:7000', true, 10, 1), node('redis://127.0.0.1:7003', false, 5, 1)],
    };
    const after = {
      ...reading([0, 0], [0, 0], 2, 1),
      perNode: [node('redis://127.0.0.1:7000', true, 110, 1.25), node('redis://127.0.0.1:7003', false, 55, 1.1)],
    };
    expect(costOfReadings(before, before, after, { claims: 10, admitted: 1 }, 0.5, 0).perNode).toEqual([
      { node: '127.0.0.1:7000', role: 'master', commands: 100, cpuMs: 250 },
      { node: '127.0.0.1:7003', role: 'replica', commands: 50, cpuMs: 100 },
    ]);
  });

  it('leaves the masters out on a single Redis, and the calls null when they were not counted', () => {
    const cost = costOfReadings(
      reading([0, 0], [0, 0], 1, 1),
      reading([0, 0], [0, 0], 1, 1),
      reading([100, 0.1], [100, 0.1], 1, 1),
      { claims: 100, admitted: 10 },
      0.5,
      null,
    );
    expect(cost.masters).toBeUndefined();
    expect(cost.callsPerClaim).toBeNull();
  });
});
