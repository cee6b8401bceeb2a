import type { Config } from '../config.ts';
import { startDriftWatch as startWatch } from '../retry/drift-watch.ts';
import { reconcileEvents, type ReconcileOptions } from '../retry/reconcile.ts';
import { formatReconcileReport, reconcileReportJson } from '../retry/reconcile-report.ts';
import { closeRuntime, createLogger, openRuntime, type Runtime } from './runtime.ts';

/** Prints the drift per event; the exit code is 1 while drift remains, 0 when there is none (or it was repaired). */
export async function runReconcile(config: Config, options: ReconcileOptions & { isJson: boolean }): Promise<void> {
  const runtime = await openRuntime(config, createLogger(config, 'firstcome-reconcile'), { migrate: false });
  try {
    const report = await reconcileEvents({ store: runtime.store, gate: runtime.gate }, options);
    process.stdout.write(
      options.isJson ? `${JSON.stringify(reconcileReportJson(report), null, 2)}\n` : formatReconcileReport(report),
    );
    process.exitCode = report.hasDrift ? 1 : 0;
  } finally {
    await closeRuntime(runtime);
  }
}

/** Inside `worker` and `start`: the drift watch every RECONCILE_INTERVAL_MS (0: off). */
export const startDriftWatch = (runtime: Runtime) => startWatch(runtime, runtime.config.RECONCILE_INTERVAL_MS);
