import type { ChaosResult } from './run.ts';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sorted = (tally: Record<string, number>) =>
  Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

/** The telling line of a dead process's last output: its own last word, else the error it died of. */
function whyItExited(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const own = lines.findLast((l) => l.startsWith('firstcome '));
  if (own) return own.slice(0, 300);
  const thrown = lines.findIndex((l) => l.includes("Unhandled 'error' event") || l.startsWith('Uncaught'));
  const error = lines.slice(thrown + 1).find((l) => /^\w*Error\b/.test(l));
  const emitted = lines.find((l) => l.startsWith("Emitted 'error' event on"));
  if (error) {
    return `${thrown >= 0 ? 'unhandled ' : ''}${error}${emitted ? ` (${emitted.replace(/:$/, '')})` : ''}`.slice(
      0,
      300,
    );
  }
  return (
    lines
      .filter((l) => l && !l.startsWith('at ') && !l.startsWith('Node.js'))
      .at(-1)
      ?.slice(0, 300) ?? '(no output)'
  );
}

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
    lines.push(`  +${s(e.atMs)} ${e.role} code ${e.code} signal ${e.signal}: ${whyItExited(e.lastOutput)}`);
  }
  if (r.drain) {
    lines.push(
      `drain (after the faults stopped): ${r.drain.settled}/${r.drain.admitted} 202s settled in ${s(r.drain.settledAfterMs)}${r.drain.complete ? '' : ' (TIMED OUT)'}, then pipeline ${r.drain.quiet ? 'quiet' : 'NOT quiet'} (${s(r.drain.ms)} in all)`,
    );
  }
  if (r.lastAdmittedAtMs !== undefined) {
    lines.push(
      `last 202 at +${s(r.lastAdmittedAtMs)}; last coupon issued at +${r.lastIssuedAtMs === undefined ? '?' : s(r.lastIssuedAtMs)}`,
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
  const notes = [
    ...(r.unexpectedExits.length > 0
      ? [
          `${r.unexpectedExits.length} process exits nobody asked for (${[...new Set(r.unexpectedExits.map((e) => e.role))].join(', ')}): each was restarted after 1 s, as a supervisor would; without one that role stays down`,
        ]
      : []),
    ...(t && t.unavailableWithoutRetryAfter > 0
      ? [`${t.unavailableWithoutRetryAfter} answers 503 without Retry-After (the contract's second batch asks for it)`]
      : []),
    ...(t && t.unanswered.coupons + t.unanswered.failed > 0 && t.lostThen202 > 0
      ? [
          `${t.unanswered.coupons + t.unanswered.failed} claims admitted whose answer was lost, and ${t.lostThen202} keys answered 202 on a retry: unless the Idempotency-Key was honoured, some of those users hold two claims for one attempt`,
        ]
      : []),
  ];
  if (notes.length > 0) lines.push('notes (not promises):', ...notes.map((n) => `  - ${n}`));
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
