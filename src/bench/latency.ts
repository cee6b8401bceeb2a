export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of latencies in milliseconds; all zero when there are none. */
export function summarizeLatencies(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const n = sorted.length;
  if (n === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] as number;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50: rank(50), p99: rank(99), max: sorted[n - 1] as number, mean: sum / n };
}
