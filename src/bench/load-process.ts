// The load generator's own process, so that its CPU is its own and the same for every design.
// The parent (fork-load.ts) sends one LoadJob; progress and the result come back over IPC.
import { runLoad, type LoadJob } from './load-generator.ts';

process.once('message', (job: LoadJob) => {
  runLoad(job, (progress) => process.send?.({ kind: 'progress', progress })).then(
    (result) => process.send?.({ kind: 'result', result }, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`load generator failed: ${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
});
