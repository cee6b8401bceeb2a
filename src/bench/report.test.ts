import { describe, expect, it } from 'vitest';
import { combineRounds } from './bench.ts';
import { renderChart } from './chart.ts';
import { renderMarkdown, throughputRatios } from './report.ts';
import type { DesignResult } from './run-design.ts';

const aResult = (design: string, requestsPerSec: number, extra: Partial<DesignResult> = {}): DesignResult => ({
  design,
  requestsPerSec,
  latencyMs: { p50: 1, p99: 5, max: 9 },
  admitted: 100,
  issued: 100,
  stock: 100,
  overIssued: 0,
  usersOverLimit: 0,
  lost: 0,
  drainSeconds: 1,
  dbRowsPerSec: 1000,
  issuedPerSec: 100,
  requests: 3000,
  planned: 3000,
  truncated: false,
  loadSeconds: 1,
  soldOutSeconds: 0.5,
  tail: { requests: 2000, requestsPerSec: requestsPerSec, latencyMs: { p50: 1, p99: 4, max: 8 } },
  outcomes: { '202': 100 },
  serverCpuSeconds: 1,
  serverCpuPercent: 100,
  drainCpuSeconds: 0,
  serverPeakRssMb: 100,
  redis: {
    commands: 3000,
    cpuSeconds: 0.03,
    commandsPerClaim: 1,
    cpuMsPer1000Claims: 10,
    cpuMsPerAdmission: 0.3,
    backgroundCommandsPerSec: 0,
    backgroundCpuMsPerSec: 0,
  },
  generatorCpuSeconds: 0.5,
  generatorCpuPercent: 50,
  loadAverageAtStart: 0.5,
  processes: [`${design} api`],
  summary: `${design} does things`,
  notes: [],
  ...extra,
});

describe('throughputRatios', () => {
  it('divides every design’s claims/s by every other’s', () => {
    const ratios = throughputRatios([
      aResult('ceiling', 30_000),
      aResult('db-lock', 1_000),
      aResult('firstcome', 27_000),
    ]);
    expect(ratios.find((r) => r.design === 'firstcome')?.throughputTimes).toEqual({ ceiling: 0.9, 'db-lock': 27 });
  });
});

describe('renderMarkdown', () => {
  it('shows n/a where a design stores nothing, and every design in every table', () => {
    const markdown = renderMarkdown([
      aResult('ceiling', 30_000, { issued: null, overIssued: null, usersOverLimit: null, lost: null }),
      aResult('course', 9_000, { overIssued: 3, notes: ['a note'] }),
    ]);
    expect(markdown).toContain('| `ceiling` | 3,000 | 100 | n/a | 100 | n/a | n/a | n/a |');
    expect(markdown).toMatch(/\| `course` \| 3,000 \| 100 \| 100 \| 100 \| 3 \| 0 \| 0 \|/);
    expect(markdown).toContain('- `course`: a note');
  });

  it('puts Redis commands per claim and Redis CPU per 1,000 claims beside claims/s', () => {
    const markdown = renderMarkdown([
      aResult('course', 9_000, {
        redis: {
          commands: 6000,
          cpuSeconds: 0.09,
          commandsPerClaim: 2,
          cpuMsPer1000Claims: 30,
          cpuMsPerAdmission: 0.9,
          backgroundCommandsPerSec: 12,
          backgroundCpuMsPerSec: 1.5,
          callsPerClaim: 2,
        },
      }),
    ]);
    expect(markdown).toContain('| Redis calls/claim | Redis cmds/claim | Redis CPU ms/1k claims |');
    expect(markdown).toMatch(/\| 100 \| 2\.000 \| 2\.00 \| 30\.0 \| 100 \|/);
    expect(markdown).toContain(
      'the design idle (others’ work and its own polling), counted in them too: `course` 12 commands/s, 1.5 CPU ms/s',
    );
  });

  it('gives a cluster’s masters alone beside the figures summed over every node', () => {
    const markdown = renderMarkdown([
      aResult('firstcome', 20_000, {
        redis: {
          commands: 9000,
          cpuSeconds: 0.09,
          commandsPerClaim: 3,
          cpuMsPer1000Claims: 30,
          cpuMsPerAdmission: 0.9,
          backgroundCommandsPerSec: 0,
          backgroundCpuMsPerSec: 0,
          callsPerClaim: 0.12,
          nodes: 6,
          masters: { nodes: 3, commandsPerClaim: 2, cpuMsPer1000Claims: 20, cpuMsPerAdmission: 0.6 },
        },
      }),
    ]);
    expect(markdown).toContain('summed over all 6 nodes');
    expect(markdown).toContain(
      'the masters alone (replicas replay their writes): `firstcome` 2.00 cmds/claim, 20.0 CPU ms/1k claims, 0.6000 CPU ms per admission',
    );
  });
});

describe('combineRounds', () => {
  it('takes the median round for speed and the worst round for correctness', () => {
    const combined = combineRounds([
      aResult('db-lock', 900),
      aResult('db-lock', 1200, { lost: 2 }),
      aResult('db-lock', 1000),
    ]);
    expect(combined.requestsPerSec).toBe(1000);
    expect(combined.lost).toBe(2);
    expect(combined.rounds?.map((r) => r.requestsPerSec)).toEqual([900, 1200, 1000]);
  });
});

describe('renderChart', () => {
  it('draws an SVG naming every design', async () => {
    const svg = await renderChart([aResult('ceiling', 30_000), aResult('firstcome', 27_000)], ['a test run']);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('ceiling');
    expect(svg).toContain('firstcome');
  });
});
