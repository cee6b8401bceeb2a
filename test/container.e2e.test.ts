import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { adminToken, freePort, randomId, repoRoot, waitFor } from './fixtures/basics.ts';
import { startPrivateRedis, useDatabase, useKafkaTopics } from './fixtures/datastores.ts';
import { type ApiProcess, type FirstcomeProcess, watchProcess } from './fixtures/processes.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';

const run = promisify(execFile);

/*
 * The Dockerfile's image, built on scripts/container-base's stand-in for node:24-bookworm-slim (no image
 * registry is reachable here), running `serve`, `relay` and `worker` as three containers against this
 * machine's PostgreSQL and Kafka and a redis-server of the test's own (a relay drains every outbox of its
 * Redis). The flags are the ones this machine allows: runc (crun fails on its cgroups), the host's network,
 * and limits no higher than they are.
 */
const podmanFlags = '--runtime runc --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024'.split(' ');
const image = 'localhost/firstcome:e2e';
const hasPodman = spawnSync('podman', ['--version']).status === 0;
const buildTimeoutMs = 30 * 60_000;

/**
 * A container of the image running `firstcome <role>`, as an attached `podman run` (SIGTERM reaches it).
 * Read-only but for /tmp, as deploy/k8s runs it (readOnlyRootFilesystem).
 */
function runContainer(role: string, env: Record<string, string>): FirstcomeProcess & { name: string } {
  const name = randomId(`firstcome-e2e-${role}`);
  const envFlags = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const args = ['run', '--rm', '--read-only', '--name', name, ...podmanFlags, ...envFlags, image, role];
  const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return Object.assign(watchProcess(child), { name });
}

/**
 * This machine reaches the npm registry through a proxy with a CA of its own (NODE_EXTRA_CA_CERTS). The
 * build's npm trusts it through npm's global config dir (/usr/local/etc, empty in the Node image), mounted
 * for the build's steps only: nothing of it stays in the image.
 */
async function buildTrust(): Promise<{ flags: string[]; remove: () => Promise<void> }> {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (!ca) return { flags: [], remove: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'firstcome-build-trust-'));
  await copyFile(ca, join(dir, 'host-ca.crt'));
  await writeFile(join(dir, 'npmrc'), 'cafile=/usr/local/etc/host-ca.crt\n');
  return { flags: ['--volume', `${dir}:/usr/local/etc:ro`], remove: () => rm(dir, { recursive: true, force: true }) };
}

const answers = async (url: string) => (await fetch(url).catch(() => undefined))?.ok === true;

describe.skipIf(!hasPodman)(
  hasPodman
    ? 'the container image: serve, relay and worker containers through a drop'
    : 'the container image: SKIPPED, podman is not installed (scripts/container-base installs it)',
  () => {
    const t = useDatabase('postgres');
    const topics = useKafkaTopics();
    const containers: (FirstcomeProcess & { name: string })[] = [];
    let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;

    beforeAll(async () => {
      const { stdout } = await run(join(repoRoot, 'scripts/container-base'), [], { timeout: buildTimeoutMs });
      const trust = await buildTrust();
      try {
        const baseImage = `BASE_IMAGE=${stdout.trim()}`;
        const args = ['build', ...podmanFlags, ...trust.flags, '--build-arg', baseImage, '--tag', image, repoRoot];
        await run('podman', args, { timeout: buildTimeoutMs, maxBuffer: 64 * 1024 * 1024 });
      } finally {
        await trust.remove();
      }
      redis = await startPrivateRedis();
    }, buildTimeoutMs);

    afterAll(async () => {
      try {
        const names = containers.map((c) => c.name);
        if (names.length > 0) await run('podman', ['rm', '--force', '--ignore', ...names]);
        await Promise.all(containers.map((c) => c.exited));
      } finally {
        await redis?.stop();
      }
    }, 120_000);

    it('issues every admitted claim as a coupon in PostgreSQL', async () => {
      const [port, relayMetricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort()];
      const env = {
        DATABASE_URL: t.url,
        REDIS_URL: redis!.url,
        KAFKA_BROKERS: '127.0.0.1:9092',
        KAFKA_TOPIC: topics.topic(),
        KAFKA_PARTITIONS: '4',
        ADMIN_TOKEN: adminToken,
        AUTH_MODE: 'trusted-header',
        LOG_LEVEL: 'warn',
        // The host's network: listen on loopback only, not on every interface as the image does by default.
        HOST: '127.0.0.1',
      };
      const start = (role: string, extra: Record<string, string>) => {
        const container = runContainer(role, { ...env, ...extra });
        containers.push(container);
        return container;
      };
      const serve = start('serve', { PORT: String(port), API_WORKERS: '1' });
      const relay = start('relay', { METRICS_PORT: String(relayMetricsPort) });
      const worker = start('worker', { METRICS_PORT: String(workerMetricsPort) });
      const dump = () => containers.map((c) => `--- ${c.name}\n${c.output()}`).join('\n');
      onTestFailed(() => console.log(dump()));
      for (const [container, url] of [
        [serve, `http://127.0.0.1:${port}/readyz`],
        [relay, `http://127.0.0.1:${relayMetricsPort}/healthz`],
        [worker, `http://127.0.0.1:${workerMetricsPort}/healthz`],
      ] as const) {
        await waitFor(
          `${container.name} answering ${url}`,
          async () => {
            if (container.child.exitCode !== null) throw new Error(`${container.name} exited:\n${dump()}`);
            return answers(url);
          },
          { timeoutMs: 120_000, intervalMs: 200 },
        );
      }

      const api = Object.assign(serve, { baseUrl: `http://127.0.0.1:${port}` }) satisfies ApiProcess;
      const eventId = randomId('ev');
      const stock = 500;
      await createEventVia(api, { id: eventId, name: 'container drop', stock });
      const users = Array.from({ length: 1200 }, (_, i) => `user-${i}`);
      const admitted = (await claimAll([api], eventId, users, 32)).filter((a) => a.status === 202);
      expect(admitted).toHaveLength(stock);
      await waitForCoupons(t.store, eventId, stock);
      await expectPromisesHold(t.probe, eventId, { stock, perUserLimit: 1, admitted });
      expect(
        containers.map((c) => c.child.exitCode),
        dump(),
      ).toEqual([null, null, null]);
    });
  },
);
