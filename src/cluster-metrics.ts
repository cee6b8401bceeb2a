import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';

/** One process's registry as `getMetricsAsJSON()` gives it: what an API process sends the primary. */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** One API process's answer to the primary: its slot (1..N) and its metrics, none when it did not answer. */
export interface ProcessMetrics {
  id: number;
  slot: number | undefined;
  snapshot: MetricsSnapshot | undefined;
}

type MetricJson = MetricsSnapshot[number];

// prom-client declares `type` an enum; what it holds is the text of the exposition format ('counter', ...).
const typeOf = (metric: MetricJson) => String(metric.type);

// Counters and histograms only grow; what a process that died had counted stays in the sums, so the
// whole service's counters never go down when one of its processes goes.
const keepsGrowing = (metric: MetricJson) => typeOf(metric) === 'counter' || typeOf(metric) === 'histogram';

const claimsOf = (snapshot: MetricsSnapshot) =>
  snapshot
    .filter((metric) => metric.name === 'firstcome_claims_total')
    .flatMap((metric) => metric.values)
    .reduce((sum, { value }) => sum + value, 0);

const metricOf = (name: string, help: string, type: 'counter' | 'gauge', values: MetricJson['values']) => ({
  name,
  help,
  type,
  aggregator: 'sum',
  values,
});

/**
 * The primary's view of `serve --workers N`: every API process's metrics summed with prom-client's
 * AggregatorRegistry (counters and histograms add up; gauges add up unless prom-client says otherwise),
 * the primary's own process metrics, and a few figures only the primary knows.
 */
export function createClusterMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'firstcome_' });
  const latest = new Map<number, { slot: number | undefined; snapshot: MetricsSnapshot }>();
  let retired: MetricsSnapshot[] = [];

  return {
    contentType: registry.contentType,
    /**
     * The text of /metrics from this round's answers; a process that did not answer counts with what
     * it said last time.
     */
    async render(answers: ProcessMetrics[], { restarts }: { restarts: number }): Promise<string> {
      for (const { id, slot, snapshot } of answers) if (snapshot) latest.set(id, { slot, snapshot });
      if (retired.length > 1) retired = [await AggregatorRegistry.aggregate(retired).getMetricsAsJSON()];
      const live = [...latest.values()];
      const cluster = [
        metricOf('firstcome_api_processes', 'API processes (serve --workers N) that answered the primary', 'gauge', [
          { labels: {}, value: answers.filter((a) => a.snapshot).length },
        ]),
        metricOf(
          'firstcome_api_process_restarts_total',
          'API processes the primary started again after one died',
          'counter',
          [{ labels: {}, value: restarts }],
        ),
        metricOf(
          'firstcome_api_process_claims_total',
          'Claims answered by the API process in each slot (1..N), since that process started',
          'counter',
          live.map(({ slot, snapshot }) => ({ labels: { process: String(slot ?? 0) }, value: claimsOf(snapshot) })),
        ),
      ];
      const own = await registry.getMetricsAsJSON();
      return AggregatorRegistry.aggregate([...live.map((p) => p.snapshot), ...retired, own, cluster]).metrics();
    },
    /** A process exited: its counters and histograms, as last seen, stay in the sums. */
    retire(id: number): void {
      const gone = latest.get(id);
      latest.delete(id);
      if (gone) retired.push(gone.snapshot.filter(keepsGrowing));
    },
  };
}

export type ClusterMetrics = ReturnType<typeof createClusterMetrics>;
