import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createClusterMetrics, type MetricsSnapshot } from './cluster-metrics.ts';

/** One API process's metrics as the primary receives them: JSON, through the IPC channel. */
async function processSnapshot(claims: Record<string, number>, streams: number): Promise<MetricsSnapshot> {
  const registry = new Registry();
  const counter = new Counter({
    name: 'firstcome_claims_total',
    help: 'claims',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const [outcome, count] of Object.entries(claims)) counter.labels(outcome).inc(count);
  new Gauge({ name: 'firstcome_dashboard_streams', help: 'streams', registers: [registry] }).set(streams);
  return JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())) as MetricsSnapshot;
}

const sampleOf = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('createClusterMetrics', () => {
  it("sums every process's claims and gauges, and says how many claims each one answered", async () => {
    const metrics = createClusterMetrics();
    const text = await metrics.render(
      [
        { id: 7, slot: 1, snapshot: await processSnapshot({ admitted: 3, sold_out: 4 }, 1) },
        { id: 8, slot: 2, snapshot: await processSnapshot({ admitted: 2 }, 1) },
      ],
      { restarts: 0 },
    );
    expect(sampleOf(text, 'firstcome_claims_total{outcome="admitted"}')).toBe(5);
    expect(sampleOf(text, 'firstcome_claims_total{outcome="sold_out"}')).toBe(4);
    expect(sampleOf(text, 'firstcome_dashboard_streams')).toBe(2);
    expect(sampleOf(text, 'firstcome_api_process_claims_total{process="1"}')).toBe(7);
    expect(sampleOf(text, 'firstcome_api_process_claims_total{process="2"}')).toBe(2);
    expect(sampleOf(text, 'firstcome_api_processes')).toBe(2);
    expect(sampleOf(text, 'firstcome_api_process_restarts_total')).toBe(0);
    // The primary's own process figures are part of the whole.
    expect(text).toContain('firstcome_process_cpu_seconds_total');
  });

  it('keeps what a process that died had counted, but not its gauges, so no counter goes down', async () => {
    const metrics = createClusterMetrics();
    await metrics.render(
      [
        { id: 7, slot: 1, snapshot: await processSnapshot({ admitted: 3, sold_out: 4 }, 1) },
        { id: 8, slot: 2, snapshot: await processSnapshot({ admitted: 2 }, 1) },
      ],
      { restarts: 0 },
    );
    metrics.retire(7);
    const text = await metrics.render(
      [
        { id: 8, slot: 2, snapshot: await processSnapshot({ admitted: 5 }, 1) },
        { id: 9, slot: 1, snapshot: await processSnapshot({ sold_out: 1 }, 0) },
      ],
      { restarts: 1 },
    );
    expect(sampleOf(text, 'firstcome_claims_total{outcome="admitted"}')).toBe(8);
    expect(sampleOf(text, 'firstcome_claims_total{outcome="sold_out"}')).toBe(5);
    expect(sampleOf(text, 'firstcome_dashboard_streams')).toBe(1);
    expect(sampleOf(text, 'firstcome_api_process_claims_total{process="1"}')).toBe(1);
    expect(sampleOf(text, 'firstcome_api_process_restarts_total')).toBe(1);
  });

  it('counts a process that did not answer with what it said last time', async () => {
    const metrics = createClusterMetrics();
    const first = await processSnapshot({ admitted: 3 }, 0);
    await metrics.render([{ id: 7, slot: 1, snapshot: first }], { restarts: 0 });
    const text = await metrics.render(
      [
        { id: 7, slot: 1, snapshot: undefined },
        { id: 8, slot: 2, snapshot: await processSnapshot({ admitted: 1 }, 0) },
      ],
      { restarts: 0 },
    );
    expect(sampleOf(text, 'firstcome_claims_total{outcome="admitted"}')).toBe(4);
    expect(sampleOf(text, 'firstcome_api_processes')).toBe(1);
  });
});
