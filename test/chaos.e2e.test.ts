import { describe, expect, it, onTestFailed } from 'vitest';
import { faultKinds } from '../src/bench/chaos/plan.ts';
import { formatReport } from '../src/bench/chaos/report.ts';
import { runChaos } from '../src/bench/chaos/run.ts';

/**
 * The short chaos run (`npm run chaos` is the long one): a drop of 6,000 claims against 2 serve, 2 relay
 * and 2 worker processes, on a Redis, Kafka broker and database of the run's own, while seed 39's faults
 * hit them: it plans every kind within 25 s (a Redis restart, a Kafka restart, both API processes killed,
 * PostgreSQL cut, a relay paused). Every promise is checked in the database after the drain.
 */
describe('promises 1-6, chaos: a drop under seeded faults', () => {
  it('keeps every promise (seed 39, 25 s)', { timeout: 600_000 }, async () => {
    const lines: string[] = [];
    onTestFailed(() => console.log(lines.join('\n')));
    const result = await runChaos({ seed: 39, seconds: 25, claims: 6000, log: (line) => lines.push(line) });
    lines.push(formatReport(result));

    expect(result.aborted).toBe(false);
    expect(new Set(result.faults.map((f) => f.kind))).toEqual(new Set(faultKinds));
    expect(result.faults.filter((f) => f.outcome.startsWith('error'))).toEqual([]);
    expect(result.drain?.complete).toBe(true);
    expect(result.tallies?.answers['409 sold_out']).toBeGreaterThan(0);
    expect(result.tallies?.answers['409 limit_reached']).toBeGreaterThan(0);
    expect(result.broken).toEqual([]);
  });
});
