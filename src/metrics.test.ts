import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

const dashboardFile = join(import.meta.dirname, '../docs/grafana-dashboard.json');

const alertsFile = join(import.meta.dirname, '../docs/alerts.yaml');

const dashboardPanels = () =>
  (
    JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    }
  ).panels;

/** Every PromQL expression in the shipped Grafana dashboard. */
function dashboardQueries(): string[] {
  return dashboardPanels().flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

/** Each alert of docs/alerts.yaml and its expression, one line per line of it, indentation dropped. */
function alertRules(): Array<{ alert: string; expr: string }> {
  const rules = readFileSync(alertsFile, 'utf8')
    .split(/^ {6}- alert: /m)
    .slice(1);
  return rules.map((rule) => {
    const [alert = '', ...lines] = rule.split('\n');
    const at = lines.findIndex((line) => /^ {8}expr:/.test(line));
    const first = lines[at]?.replace(/^ {8}expr: /, '') ?? '';
    // A block scalar (`expr: |`) runs as long as its lines are indented deeper than the key.
    const blockEnd = lines.findIndex((line, i) => i > at && !line.startsWith(' '.repeat(10)));
    const block = first === '|' ? lines.slice(at + 1, blockEnd) : [first];
    return { alert, expr: block.map((line) => line.trim()).join('\n') };
  });
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

  it("shows each alert's expression as it is in docs/alerts.yaml, in a panel named after the alert", () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert)).toHaveLength(6);
    const panels = dashboardPanels();
    for (const { alert, expr } of rules) {
      expect(panels.find((panel) => panel.title === alert)?.targets?.[0]?.expr, alert).toBe(expr);
    }
  });
});
