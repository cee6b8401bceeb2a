import { resolve } from 'node:path';
import type { Config } from '../../config.ts';
import type { Command } from '../command.ts';
import { parseFlags } from './parse.ts';

/** A command that takes no flags: a role, or `migrate` and `retry`. */
const withoutFlags = (name: string, usage: string, run: (config: Config) => Promise<void>): Command => ({
  usage,
  async run(config, args) {
    parseFlags(name, args, {});
    await run(config);
  },
});

export const start = withoutFlags(
  'start',
  `Usage: firstcome start

Everything in one process for one machine: the API, the relay, the worker, the retry job and the drift
watch. Creates the database named in DATABASE_URL when it is missing and migrates it. Where ADMIN_TOKEN
(and, with AUTH_MODE=jwt, JWT_SECRET or JWT_JWKS_URL) or ADMISSION_KEYS is not set, uses dev secrets
kept in .firstcome/dev-secrets.json, so they stay the same across restarts, and prints them (all but
the admission key, whose public half is at /.well-known/jwks.json).
`,
  async (config) => {
    const { devSecretsFile, withDevSecrets } = await import('../dev-secrets.ts');
    const { config: filled, devSecrets } = await withDevSecrets(config, resolve(devSecretsFile));
    await (await import('../../roles/start.ts')).runStart(filled, devSecrets);
  },
);

export const relay = withoutFlags(
  'relay',
  `Usage: firstcome relay

Moves admitted claims from the gate's outbox streams (Redis) to the Kafka topic, until SIGTERM.
Needs Redis and Kafka, not the database. With METRICS_PORT set, answers /metrics and /healthz there.
`,
  async (config) => (await import('../../roles/relay.ts')).runRelay(config),
);

export const worker = withoutFlags(
  'worker',
  `Usage: firstcome worker

Writes claims from Kafka to the database as coupons, in batches, until SIGTERM; also runs the retry job
and the drift watch. Migrates the database on start. With METRICS_PORT set, answers /metrics and
/healthz there.
`,
  async (config) => (await import('../../roles/worker.ts')).runWorker(config),
);

export const migrate = withoutFlags(
  'migrate',
  `Usage: firstcome migrate

Creates the database named in DATABASE_URL when it is missing, applies the migrations not yet applied,
then exits. \`start\`, \`serve\` and \`worker\` do the same on start; the one-shot commands (\`retry\`,
\`reconcile\`, \`failed\`) never do: they expect a migrated database.
`,
  async (config) => (await import('../../roles/migrate.ts')).runMigrate(config),
);

export const retry = withoutFlags(
  'retry',
  `Usage: firstcome retry

One pass of the failed-claim retry job (it also runs every RETRY_INTERVAL_MS inside \`worker\` and
\`start\`), a one-line summary on stdout, then exit. Uses the database and the gate's Redis; does not
migrate. \`firstcome failed retry\` picks which claims.
`,
  async (config) => (await import('../../roles/retry.ts')).runRetry(config),
);
