import { readFile } from 'node:fs/promises';
import { costsFromBenchResults, measuredCosts, planCapacity, renderPlan, type PlanInput } from '../../capacity-plan.ts';
import type { Command } from '../command.ts';
import { parseFlags, usageError } from './parse.ts';

const usage = `Usage: firstcome plan --peak-claims-per-sec R --stock S [options]

Sizes one drop on paper: the API processes, Redis masters (and shards per event), relays, Kafka partitions,
workers and database write rate a peak of R claims/s on S coupons needs, from what each component costs.

  --peak-claims-per-sec R   claims/s at the peak of the drop (required)
  --stock S                 coupons in the event (required)
  --per-user-limit N        coupons one user may hold (default 1)
  --drain-seconds D         every coupon in the database within D seconds of the start (default 60)
  --from FILE               component costs from a \`firstcome bench\` results.json (its firstcome result)
                            instead of the figures measured on the dev box (src/capacity-plan.ts); from a
                            \`bench --redis cluster\` run, the Redis CPU per admission on its masters
  --json                    print the plan as JSON
`;

const numberFlag = (flag: string, value: string | undefined, fallback?: number): number => {
  if (value === undefined) {
    if (fallback === undefined) throw usageError('plan', `--${flag} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0) {
    throw usageError('plan', `--${flag}: must be a positive number, got "${value}"`);
  }
  return n;
};

/** `plan --peak-claims-per-sec R --stock S [--per-user-limit N] [--drain-seconds D] [--from FILE] [--json]` */
export function parsePlanArgs(args: string[]): { input: PlanInput; from: string | undefined; isJson: boolean } {
  const values = parseFlags('plan', args, {
    'peak-claims-per-sec': { type: 'string' },
    stock: { type: 'string' },
    'per-user-limit': { type: 'string' },
    'drain-seconds': { type: 'string' },
    from: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const perUserLimit = numberFlag('per-user-limit', values['per-user-limit'], 1);
  if (!Number.isInteger(perUserLimit)) throw usageError('plan', '--per-user-limit: must be a whole number');
  return {
    input: {
      peakClaimsPerSec: numberFlag('peak-claims-per-sec', values['peak-claims-per-sec']),
      stock: numberFlag('stock', values.stock),
      perUserLimit,
      drainSeconds: numberFlag('drain-seconds', values['drain-seconds'], 60),
    },
    from: values.from,
    isJson: values.json,
  };
}

export const plan: Command = {
  usage,
  async run(_config, args) {
    const { input, from, isJson } = parsePlanArgs(args);
    const costs = from ? costsFromBenchResults(JSON.parse(await readFile(from, 'utf8')), from) : measuredCosts;
    const plan = planCapacity(input, costs);
    process.stdout.write(isJson ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
  },
};
