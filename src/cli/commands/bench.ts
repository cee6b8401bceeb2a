import { defaultDesigns, designs } from '../../bench/designs.ts';
import { benchUsage, parseBenchArgs } from '../../bench/options.ts';
import { parseQueueBenchArgs, queueBenchUsage } from '../../bench/queue-bench-options.ts';
import { AppError, isAppError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { usageError } from './parse.ts';

type BenchModule = typeof import('../../bench/bench.ts');

/**
 * The benchmark's chart needs vega and vega-lite, dev dependencies that a production install
 * (`npm ci --omit=dev`) leaves out; without them `bench` says how to get them instead of a stack trace.
 */
export async function loadBench(load: () => Promise<BenchModule> = () => import('../../bench/bench.ts')) {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new AppError(
      'PROCESS_START_FAILED',
      `the benchmark needs the dev dependencies (vega and vega-lite draw its chart), which this install left out ` +
        `(${(error as Error).message.split('\n')[0]}): run \`npm ci\` without --omit=dev in the checkout`,
      { cause: error },
    );
  }
}

/** bench's own parsers call a bad flag CONFIG_INVALID; here it is a usage error like any command's. */
function checkFlags(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (isAppError(error, 'CONFIG_INVALID')) throw usageError('bench', error.message);
    throw error;
  }
}

export const bench: Command = {
  usage: `${benchUsage}\n${queueBenchUsage}`,
  actions: ['queue'],
  async run(config, args) {
    const [action, ...flags] = args;
    if (action === 'queue') {
      checkFlags(() => parseQueueBenchArgs(flags));
      // Not through loadBench: the queue's report draws no chart.
      await (await import('../../bench/queue-bench.ts')).runQueueBench(config, flags);
      return;
    }
    checkFlags(() =>
      parseBenchArgs(
        args,
        designs.map((d) => d.name),
        defaultDesigns,
      ),
    );
    await (await loadBench()).runBench(config, args);
  },
};
