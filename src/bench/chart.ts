import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { DesignResult } from './run-design.ts';

const panel = (field: string, title: string, color: string, format: string, scale: 'linear' | 'symlog') => ({
  width: 320,
  height: 24 * 6,
  title,
  encoding: {
    y: { field: 'design', type: 'nominal', sort: null, title: null },
    x: {
      field,
      type: 'quantitative',
      title: null,
      scale: { type: scale },
      ...(scale === 'symlog' ? { axis: { values: [0, 10, 100, 1000, 10000] } } : {}),
    },
  },
  layer: [
    { mark: { type: 'bar', color } },
    {
      mark: { type: 'text', align: 'left', dx: 3 },
      encoding: { text: { field, type: 'quantitative', format } },
    },
  ],
});

/** Throughput and p99 latency per design, side by side, as an SVG drawn by Vega-Lite (no canvas needed). */
export async function renderChart(results: DesignResult[], subtitle: string[]): Promise<string> {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'firstcome bench: one spike, each design', subtitle },
    data: { values: results.map((r) => ({ design: r.design, rps: r.requestsPerSec, p99: r.latencyMs.p99 })) },
    hconcat: [
      panel('rps', 'claims per second (higher is better)', '#4c78a8', ',.0f', 'linear'),
      panel('p99', 'p99 latency, ms, symlog scale (lower is better)', '#e45756', ',.1f', 'symlog'),
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  } as unknown as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
