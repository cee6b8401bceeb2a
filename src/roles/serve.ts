import type { Config } from '../config.ts';
import { startApi } from './serve-api.ts';
import { closeRuntime, createLogger, onShutdown, openRuntime } from './runtime.ts';

export async function runServe(config: Config): Promise<void> {
  const log = createLogger(config, 'firstcome-api');
  const runtime = await openRuntime(config, log);
  const api = await startApi(runtime);
  log.info({ port: config.PORT, host: config.HOST }, 'API listening');
  onShutdown(log, async () => {
    await api.stop();
    await closeRuntime(runtime);
  });
}
