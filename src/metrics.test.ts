import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

const dashboardFile = join(import.meta.dirname, '../docs/grafana-dashboard.json');

/** Every PromQL expression in the shipped Grafana dashboard. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

describe('the Grafana dashboard (docs/grafana-dashboard.json)', () => {
  it('queries only metrics that firstcome exports, and shows every metric of its own', async () => {
    const exported = (await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name);
    const queried = new Set(
      dashboardQueries()
        .flatMap((expr) => expr.match(/firstcome_[a-z0-9_]+/g) ?? [])
        .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect([...queried].filter((name) => !exported.includes(name))).toEqual([]);
    const ownMetrics = exported.filter((name) => !/^firstcome_(process|nodejs)_/.test(name));
    expect(ownMetrics.filter((name) => !queried.has(name))).toEqual([]);
  });
});
