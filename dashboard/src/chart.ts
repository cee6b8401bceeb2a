import type { HistoryPoint } from '@server/api/live-stream.ts';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type ChartPoint = HistoryPoint;

const colors = { admitted: '#2563eb', issued: '#16a34a', stock: '#9ca3af' };

/** Admissions and issued coupons over time, with the stock as the line both climb to; an hour at 1 s fits. */
export function createChart(container: HTMLElement, maxPoints = 4000) {
  const times: number[] = [];
  const admitted: Array<number | null> = [];
  const issued: Array<number | null> = [];
  const stock: Array<number | null> = [];
  let stockValue: number | null = null;

  const plot = new uPlot(
    {
      width: Math.max(300, container.clientWidth),
      height: 280,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.05] } },
      axes: [{}, { size: 60 }],
      series: [
        {},
        // Wide and filled beneath the issued line, which follows it closely once the worker keeps up.
        { label: 'admitted', stroke: colors.admitted, width: 4, fill: 'rgba(37, 99, 235, 0.10)' },
        { label: 'issued (coupons)', stroke: colors.issued, width: 2 },
        { label: 'stock', stroke: colors.stock, width: 1, dash: [6, 4] },
      ],
      legend: { live: false },
    },
    [times, admitted, issued, stock],
    container,
  );

  const redraw = () => {
    plot.setData([times, admitted, issued, stock]);
    container.dataset.points = String(times.length);
    container.dataset.firstAtMs = times.length > 0 ? String(Math.round((times[0] ?? 0) * 1000)) : '';
  };

  new ResizeObserver(() => plot.setSize({ width: Math.max(300, container.clientWidth), height: 280 })).observe(
    container,
  );

  const push = (point: ChartPoint) => {
    if (times.length > 0 && point.atMs / 1000 <= (times.at(-1) ?? 0)) return;
    times.push(point.atMs / 1000);
    admitted.push(point.admitted);
    issued.push(point.issued);
    stock.push(stockValue);
    if (times.length > maxPoints) [times, admitted, issued, stock].forEach((series) => series.shift());
  };

  return {
    setStock(value: number): void {
      stockValue = value;
    },
    add(points: ChartPoint[]): void {
      points.forEach(push);
      redraw();
    },
    clear(): void {
      [times, admitted, issued, stock].forEach((series) => (series.length = 0));
      redraw();
    },
    destroy(): void {
      plot.destroy();
    },
  };
}

export type Chart = ReturnType<typeof createChart>;
