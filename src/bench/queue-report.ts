import type { QueueBenchReport } from './queue-bench.ts';

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

const table = (header: string[], rows: string[][]) =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

/** The run as markdown: the figures per shard count side by side, then every paced run's seconds. */
export function renderQueueReport(report: QueueBenchReport): string {
  const { machine: m, scenario: s, results } = report;
  const head =
    `${String(s.users)} users, ${String(s.concurrency)} in flight · ` +
    `${s.redis === 'cluster' ? `Redis Cluster (${(s.redisClusterNodes as string[]).length} nodes)` : 'single Redis'} · ` +
    `${m.cpus} CPUs (${m.cpuModel}) · Node ${m.node} · Redis ${m.redis} · ` +
    `load average ${m.loadAverage.before} → ${m.loadAverage.after}`;
  const figures: Array<[string, (r: (typeof results)[number]) => string]> = [
    ['claims admitted/s (the reference)', (r) => thousands(r.claims.perSec)],
    ['pre-queue joins/s', (r) => thousands(r.joins.perSec)],
    ['joins ÷ claims', (r) => r.joins.ratioToClaims.toFixed(2)],
    ['Redis bytes per waiting user', (r) => thousands(r.memory.bytesPerUser)],
    ['… with its position cached', (r) => thousands(r.memory.bytesPerUserWithPlace)],
    ['open, ms', (r) => r.opening.openMs.toFixed(1)],
    ['every position computed, s', (r) => r.positions.seconds.toFixed(2)],
    ['positions computed/s', (r) => thousands(r.positions.perSec)],
    ['positions read again (cached)/s', (r) => thousands(r.positions.cached.perSec)],
  ];
  const main = table(
    ['figure', ...results.map((r) => `shards=${r.shards}`)],
    figures.map(([name, value]) => [name, ...results.map(value)]),
  );
  const pace = table(
    [
      'shards',
      'admitPerSecond',
      'turns each second',
      'mean abs. error',
      'worst second',
      'whole run',
      'tick mean / max, ms',
    ],
    results.flatMap((r) =>
      r.pace.map((p) => [
        String(r.shards),
        thousands(p.admitPerSecond),
        p.turnsPerSecond.join(' '),
        `${p.meanErrorPct.toFixed(1)}%`,
        `${p.worstErrorPct > 0 ? '+' : ''}${p.worstErrorPct.toFixed(1)}%`,
        `${p.overallErrorPct > 0 ? '+' : ''}${p.overallErrorPct.toFixed(1)}%`,
        `${p.tickMs.mean.toFixed(0)} / ${p.tickMs.max}`,
        p.slowestAdvanceMs.toFixed(0),
      ]),
    ),
  );
  return `${head}\n\n${main}\n\nPaced admission by the queue scheduler (src/roles/queue-scheduler.ts), ${String(s.paceSeconds)} s each:\n\n${pace}\n`;
}
