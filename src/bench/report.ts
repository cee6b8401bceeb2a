import type { DesignResult } from './run-design.ts';

export interface Ratio {
  design: string;
  /** This design's claims/s divided by each other design's. */
  throughputTimes: Record<string, number>;
}

const fixed = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined
    ? 'n/a'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Claims/s of every design over every other's. */
export function throughputRatios(results: DesignResult[]): Ratio[] {
  return results.map((r) => ({
    design: r.design,
    throughputTimes: Object.fromEntries(
      results
        .filter((other) => other.design !== r.design && other.requestsPerSec > 0)
        .map((other) => [other.design, Math.round((r.requestsPerSec / other.requestsPerSec) * 100) / 100]),
    ),
  }));
}

const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

/** Each master's CPU ms during the load, when the run read several nodes: how the work spread over them. */
const perMaster = (r: DesignResult) => {
  const masters = (r.redis.perNode ?? []).filter((n) => n.role === 'master');
  return masters.length > 0
    ? ` (CPU ms per master: ${masters.map((n) => `${n.node} ${fixed(n.cpuMs)}`).join(', ')})`
    : '';
};

/** The results table, the correctness table and the ratio matrix, as markdown. */
export function renderMarkdown(results: DesignResult[]): string {
  const ceiling = results.find((r) => r.design === 'ceiling');
  const speed = table(
    [
      'design',
      'claims/s',
      '× ceiling',
      'p50 ms',
      'p99 ms',
      'max ms',
      'sold out at s',
      'tail claims/s',
      'tail p99 ms',
      'server CPU %',
      'Redis calls/claim',
      'Redis cmds/claim',
      'Redis CPU ms/1k claims',
      'peak RSS MB',
      'generator CPU %',
    ],
    results.map((r) => [
      `\`${r.design}\``,
      fixed(r.requestsPerSec),
      ceiling && ceiling.requestsPerSec > 0 ? fixed(r.requestsPerSec / ceiling.requestsPerSec, 2) : 'n/a',
      fixed(r.latencyMs.p50, 1),
      fixed(r.latencyMs.p99, 1),
      fixed(r.latencyMs.max, 1),
      fixed(r.soldOutSeconds, 2),
      r.tail.requests > 0 ? fixed(r.tail.requestsPerSec) : 'n/a',
      r.tail.requests > 0 ? fixed(r.tail.latencyMs.p99, 1) : 'n/a',
      fixed(r.serverCpuPercent),
      fixed(r.redis.callsPerClaim, 3),
      fixed(r.redis.commandsPerClaim, 2),
      fixed(r.redis.cpuMsPer1000Claims, 1),
      fixed(r.serverPeakRssMb),
      fixed(r.generatorCpuPercent),
    ]),
  );
  const correctness = table(
    [
      'design',
      'claims sent',
      'admitted (202)',
      'issued (DB)',
      'stock',
      'over-issued',
      'users over limit',
      'lost',
      'drained at s',
      'DB rows/s',
      'issued/s end to end',
    ],
    results.map((r) => [
      `\`${r.design}\``,
      `${fixed(r.requests)}${r.truncated ? ` of ${fixed(r.planned)}` : ''}`,
      fixed(r.admitted),
      fixed(r.issued),
      fixed(r.stock),
      fixed(r.overIssued),
      fixed(r.usersOverLimit),
      fixed(r.lost),
      fixed(r.drainSeconds, 2),
      fixed(r.dbRowsPerSec),
      fixed(r.issuedPerSec),
    ]),
  );
  const ratios = throughputRatios(results);
  const names = results.map((r) => r.design);
  const matrix = table(
    ['claims/s of ↓ over →', ...names.map((n) => `\`${n}\``)],
    ratios.map((ratio) => [
      `\`${ratio.design}\``,
      ...names.map((n) => (n === ratio.design ? '1' : fixed(ratio.throughputTimes[n], 2))),
    ]),
  );
  const busyRedis = results
    .filter((r) => r.redis.backgroundCommandsPerSec > 0 || r.redis.backgroundCpuMsPerSec > 0)
    .map(
      (r) =>
        `\`${r.design}\` ${fixed(r.redis.backgroundCommandsPerSec)} commands/s, ` +
        `${fixed(r.redis.backgroundCpuMsPerSec, 1)} CPU ms/s`,
    );
  const masters = results
    .filter((r) => r.redis.masters)
    .map(
      (r) =>
        `\`${r.design}\` ${fixed(r.redis.masters?.commandsPerClaim, 2)} cmds/claim, ` +
        `${fixed(r.redis.masters?.cpuMsPer1000Claims, 1)} CPU ms/1k claims, ` +
        `${fixed(r.redis.masters?.cpuMsPerAdmission, 4)} CPU ms per admission` +
        perMaster(r),
    );
  const nodes = Math.max(0, ...results.map((r) => r.redis.nodes ?? 0));
  const redisNote =
    '- Redis columns: `calls` are the requests the design’s own processes sent (an EVALSHA is one); `cmds` are ' +
    'INFO commandstats calls (a Lua script’s own commands included) and CPU is used_cpu_sys+user, ' +
    `before and after the load${nodes > 1 ? `, summed over all ${nodes} nodes` : ''}, over claims answered` +
    (masters.length > 0 ? `; the masters alone (replicas replay their writes): ${masters.join(', ')}` : '') +
    (busyRedis.length > 0
      ? `; Redis just before each load, the design idle (others’ work and its own polling), counted in them too: ${busyRedis.join(', ')}`
      : '');
  const notes = [...results.flatMap((r) => r.notes.map((note) => `- \`${r.design}\`: ${note}`)), redisNote];
  return [speed, '', correctness, '', matrix, '', ...notes, ''].join('\n');
}
