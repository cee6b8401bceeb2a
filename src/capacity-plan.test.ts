import { describe, expect, it } from 'vitest';
import {
  costsFromBenchResults,
  measuredCosts,
  planCapacity,
  renderPlan,
  type ComponentCosts,
} from './capacity-plan.ts';

const costs: ComponentCosts = {
  apiClaimsPerSecPerProcess: 10_000,
  redisCpuMsPerAdmission: 0.05,
  redisCpuMsPerSoldOut: 0,
  relayClaimsPerSec: 20_000,
  workerRowsPerSec: 25_000,
  source: 'a test',
};

describe('planCapacity', () => {
  it('sizes the hot path for the peak at 70% and the pipeline for the stock over the drain time', () => {
    const plan = planCapacity(
      { peakClaimsPerSec: 1_000_000, stock: 3_000_000, perUserLimit: 2, drainSeconds: 60 },
      costs,
    );
    expect(plan).toMatchObject({
      apiProcesses: 143, // 1M / (10k × 0.7) = 142.9
      redisCpuMsPerSecBeforeSellOut: 50_000,
      redisCpuMsPerSecAfterSellOut: 0,
      redisMasters: 72, // 50,000 ms/s / 700 ms/s per core = 71.4
      shardsPerEvent: 72,
      databaseRowsPerSec: 50_000,
      relays: 3, // 50k / 20k
      workers: 2, // 50k / 25k
      kafkaPartitions: 8,
      usersServedAtLeast: 1_500_000,
    });
    expect(plan.sellOutSecondsAtLeast).toBe(3);
    expect(plan.admissionCpuSeconds).toBeCloseTo(150);
  });

  it('charges sold-out answers that reach Redis (the course design’s) after sell-out too', () => {
    const plan = planCapacity(
      { peakClaimsPerSec: 100_000, stock: 1000, perUserLimit: 1, drainSeconds: 60 },
      { ...costs, redisCpuMsPerAdmission: 0.02, redisCpuMsPerSoldOut: 0.03 },
    );
    expect(plan.redisCpuMsPerSecAfterSellOut).toBe(3000);
    expect(plan.redisMasters).toBe(5); // 3000 / 700 = 4.3
  });

  it('never plans fewer than one of anything, nor fewer partitions than workers', () => {
    const small = planCapacity({ peakClaimsPerSec: 1, stock: 1, perUserLimit: 1, drainSeconds: 60 }, costs);
    expect(small).toMatchObject({ apiProcesses: 1, redisMasters: 1, relays: 1, workers: 1, kafkaPartitions: 8 });
    const wide = planCapacity({ peakClaimsPerSec: 1, stock: 10_000_000, perUserLimit: 1, drainSeconds: 10 }, costs);
    expect(wide.workers).toBe(40);
    expect(wide.kafkaPartitions).toBe(40);
  });

  it('spreads one event over 256 shards at most, however many masters the peak needs', () => {
    const huge = planCapacity(
      { peakClaimsPerSec: 5_000_000, stock: 1_000_000, perUserLimit: 1, drainSeconds: 60 },
      costs,
    );
    expect(huge.redisMasters).toBe(358); // 250,000 ms/s / 700
    expect(huge.shardsPerEvent).toBe(256);
    expect(renderPlan(huge)).toContain('one event spreads over 256 at most');
  });

  it('prints every component', () => {
    const text = renderPlan(
      planCapacity({ peakClaimsPerSec: 5000, stock: 100, perUserLimit: 1, drainSeconds: 60 }, costs),
    );
    for (const line of [
      'API processes',
      'Redis masters',
      'shards per event',
      'relays',
      'Kafka partitions',
      'workers',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toContain('database writes        2 coupon rows/s');
  });
});

describe('costsFromBenchResults', () => {
  const report = {
    scenario: { apiProcessesPerDesign: 2, startedAt: '2026-11-30T10:00:00Z' },
    results: [
      { design: 'ceiling', requestsPerSec: 15_000, dbRowsPerSec: null, redis: { cpuMsPerAdmission: null } },
      { design: 'firstcome', requestsPerSec: 12_000, dbRowsPerSec: 8_000, redis: { cpuMsPerAdmission: 0.04 } },
    ],
  };

  it('reads claims/s per API process, Redis CPU per admission and rows/s from the firstcome result', () => {
    expect(costsFromBenchResults(report, 'r.json')).toEqual({
      apiClaimsPerSecPerProcess: 6_000,
      redisCpuMsPerAdmission: 0.04,
      redisCpuMsPerSoldOut: 0,
      relayClaimsPerSec: 8_000,
      workerRowsPerSec: 8_000,
      source: 'r.json (firstcome bench of 2026-11-30T10:00:00Z)',
    });
  });

  it('takes a cluster run’s Redis CPU per admission on its masters, the replicas left to their own cores', () => {
    const cluster = {
      scenario: { apiProcessesPerDesign: 1, startedAt: '2026-11-30T13:30:00Z', redis: 'cluster', shards: 3 },
      results: [
        {
          design: 'firstcome',
          requestsPerSec: 10_000,
          dbRowsPerSec: 9_000,
          redis: { cpuMsPerAdmission: 0.12, masters: { nodes: 3, cpuMsPerAdmission: 0.07 } },
        },
      ],
    };
    const costs = costsFromBenchResults(cluster, 'c.json');
    expect(costs.redisCpuMsPerAdmission).toBe(0.07);
    expect(costs.source).toBe(
      'c.json (firstcome bench of 2026-11-30T13:30:00Z; Redis Cluster, 3 shards, CPU per admission on its 3 masters)',
    );
  });

  it('refuses a results.json without firstcome or from before the Redis figures', () => {
    expect(() => costsFromBenchResults({ results: [] }, 'r.json')).toThrow(/no result for the firstcome design/);
    const old = { results: [{ design: 'firstcome', requestsPerSec: 1, dbRowsPerSec: 1 }] };
    expect(() => costsFromBenchResults(old, 'r.json')).toThrow(/no Redis CPU per admission/);
  });

  it('keeps the measured relay and worker figures when the run has no DB rows/s', () => {
    const undrained = {
      results: [{ design: 'firstcome', requestsPerSec: 9000, dbRowsPerSec: null, redis: { cpuMsPerAdmission: 0.05 } }],
    };
    const costs = costsFromBenchResults(undrained, 'r.json');
    expect(costs).toMatchObject({
      relayClaimsPerSec: measuredCosts.relayClaimsPerSec,
      apiClaimsPerSecPerProcess: 9000,
    });
    expect(costs.source).toContain('relay and worker from measuredCosts');
  });
});
