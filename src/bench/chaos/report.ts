import type { ChaosResult } from './run.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sorted = (tally: Record<string, number>) =>
  Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

/** The run in words: seed, faults, tallies, and each broken promise with examples. */
export function formatReport(r: ChaosResult): string {
  const lines: string[] = [];
  lines.push('', `=== chaos run ${r.runId}: seed ${r.seed} ===`);
  lines.push(
    `event ${r.event.id}: stock ${r.event.stock}, perUserLimit ${r.event.perUserLimit}, ${r.event.users} users`,
    `duration ${s(r.durationMs)} (load and faults ${s(r.loadMs)})`,
  );
  lines.push(`faults injected (${r.faults.length} of ${r.plan.length} planned):`);
  for (const f of r.faults) {
    const late = f.startedAtMs - f.atMs > 250 ? `, planned +${s(f.atMs)}` : '';
    lines.push(
      `  #${f.index} +${s(f.startedAtMs)}${late}  ${f.kind} ${f.target} hold ${s(f.holdMs)}: ${f.outcome} (${s(f.endedAtMs - f.startedAtMs)})`,
    );
  }
  const restarts = Object.entries(r.restarts).filter(([, n]) => n > 0);
  lines.push(`process restarts: ${restarts.length ? restarts.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`);
  lines.push(`unexpected exits (a process that died without being killed): ${r.unexpectedExits.length}`);
  for (const e of r.unexpectedExits.slice(0, 10)) {
    lines.push(
      `  +${s(e.atMs)} ${e.role} code ${e.code} signal ${e.signal}: ${e.lastOutput.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`,
    );
  }
  if (r.drain) {
    lines.push(
      `drain (after the faults stopped): ${r.drain.settled}/${r.drain.admitted} 202s settled in ${s(r.drain.settledAfterMs)}${r.drain.complete ? '' : ' (TIMED OUT)'}, then pipeline ${r.drain.quiet ? 'quiet' : 'NOT quiet'} (${s(r.drain.ms)} in all)`,
    );
  }
  if (r.lastAdmittedAtMs !== undefined) {
    lines.push(
      `last 202 at +${s(r.lastAdmittedAtMs)}; last coupon issued at +${r.lastIssuedAtMs === undefined ? '?' : s(r.lastIssuedAtMs)}; every 202 seen settled ${r.settledAtMs === undefined ? 'never' : `at +${s(r.settledAtMs)}`}`,
    );
  }
  const t = r.tallies;
  if (t) {
    lines.push(
      `claims: ${t.logicalClaims} logical claims, ${t.requests} requests (${t.retriedClaims} claims retried)`,
      `answers by request: ${sorted(t.answers)}`,
      `claims by last answer: ${sorted(t.finals)}`,
      `distinct 202 claim ids: ${t.distinct202}; connections refused: ${t.refusedConnections}; requests sent without an answer (reset, timeout): ${t.lostAnswers} (their key then answered 202: ${t.lostThen202})`,
      `503 without Retry-After: ${t.unavailableWithoutRetryAfter}`,
      `database: ${t.coupons} coupons (max ticket ${t.maxSeq}, ${t.usersAtLimit} users at the limit); failed claims ${sorted(t.failedByState) || 'none'} (dead with ticket back: ${t.deadTicketReturned})`,
      `admitted with no 202 seen (answer lost): ${t.unanswered.coupons} coupons, ${t.unanswered.failed} failed claims`,
    );
  }
  if (r.adminView) {
    const figure = (name: string) => JSON.stringify(r.adminView?.[name] ?? null);
    lines.push(
      `admin view: ${['admitted', 'remaining', 'issued', 'pending', 'failed'].map((k) => `${k} ${figure(k)}`).join(', ')}`,
    );
  }
  if (r.aborted) lines.push('ABORTED before the checks');
  else if (r.broken.length === 0) lines.push('every promise held');
  else {
    lines.push(`BROKEN PROMISES (seed ${r.seed}):`);
    for (const b of r.broken) {
      lines.push(`  ✗ ${b.promise}: ${b.count}${b.detail ? ` (${b.detail})` : ''}`);
      for (const e of b.examples) lines.push(`      ${e}`);
    }
    lines.push(`logs kept in ${r.logDir}`);
  }
  return lines.join('\n');
}
