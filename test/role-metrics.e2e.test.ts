import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from './fixtures/basics.ts';
import { usePipeline } from './fixtures/pipeline.ts';

describe('relay and worker run alone', () => {
  const p = usePipeline();

  it.each(['relay', 'worker'] as const)('%s answers /metrics on METRICS_PORT', async (role) => {
    p.processes.dumpOnFailure();
    const port = await freePort();
    const proc = p.spawn(role, { METRICS_PORT: String(port) });
    const text = await waitFor(`${role} metrics on port ${port}`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`${role} exited: ${proc.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      return response?.ok ? response.text() : undefined;
    });
    expect(text).toContain(role === 'relay' ? 'firstcome_relay_claims_total' : 'firstcome_worker_rows_total');
  });
});
