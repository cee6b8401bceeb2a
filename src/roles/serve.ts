import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type Config, maxApiWorkers } from '../config.ts';
import { startApi } from './serve-api.ts';
import { checkProofOfWorkKey } from './abuse-controls.ts';
import { runServePrimary, runServeWorker } from './serve-cluster.ts';
import { closeRuntime, createLogger, listenersOf, onShutdown, openRuntime } from './runtime.ts';

/** How many API processes `serve` runs: API_WORKERS (or `--workers`), else one per CPU. */
export const apiProcessesOf = (config: Config): number =>
  config.API_WORKERS ?? Math.min(maxApiWorkers, availableParallelism());

/** `firstcome serve`: one API process, or a primary keeping N of them on one port (`--workers N`). */
export async function runServe(config: Config): Promise<void> {
  if (cluster.isWorker) return runServeWorker(config);
  // Before any API process starts: N processes failing on it one by one would say it N times.
  checkProofOfWorkKey(config);
  const processes = apiProcessesOf(config);
  if (processes > 1) return runServePrimary(config, processes);
  const log = createLogger(config, 'firstcome-api');
  const runtime = await openRuntime(config, log);
  const api = await startApi(runtime);
  log.info(listenersOf(config), 'API listening');
  onShutdown(log, async () => {
    await api.stop();
    await closeRuntime(runtime);
  });
}
