import { SignJWT } from 'jose';
import type { Config } from '../config.ts';
import { ensureDatabaseExists, type Store } from '../store/store.ts';
import type { Gate } from '../gate/gate.ts';
import { startApi } from './serve-api.ts';
import { startRelay } from './relay.ts';
import { startDriftWatch } from './reconcile.ts';
import { startRetryJob } from './retry.ts';
import { closeRuntime, createLogger, onShutdown, openRuntime } from './runtime.ts';
import { startWorker } from './worker.ts';

const demoEventId = 'demo';

/** Secrets `firstcome start` can do without in dev: the CLI makes and keeps them (src/cli/dev-secrets.ts). */
export type DevSecretName = 'ADMIN_TOKEN' | 'JWT_SECRET' | 'ADMISSION_KEYS';

/**
 * A single machine's whole service. `devSecrets` names the secrets the CLI filled in because the
 * operator set none (src/cli/dev-secrets.ts); they are printed, so a newcomer can claim the demo event
 * with the printed curl lines.
 */
export async function runStart(config: Config, devSecrets: readonly DevSecretName[] = []): Promise<void> {
  const log = createLogger(config, 'firstcome');
  if (config.API_WORKERS !== undefined && config.API_WORKERS > 1) {
    log.warn(`API_WORKERS=${config.API_WORKERS} is for \`firstcome serve\`; \`firstcome start\` runs one process`);
  }
  await ensureDatabaseExists(config.DATABASE_URL);
  const runtime = await openRuntime(config, log);
  const api = await startApi(runtime);
  await ensureDemoEvent(runtime.store, runtime.gate);
  const relay = startRelay(runtime);
  const worker = startWorker(runtime);
  const retryJob = startRetryJob(runtime);
  const driftWatch = startDriftWatch(runtime);
  onShutdown(log, async () => {
    await api.stop();
    // Admissions stop first; what the relay sent and the worker has not read waits in Kafka for the next start.
    await relay.stop();
    await worker.stop();
    await retryJob.stop();
    await driftWatch.stop();
    await closeRuntime(runtime);
  });
  process.stdout.write(await welcome(config, devSecrets));
}

async function ensureDemoEvent(store: Store, gate: Gate) {
  const event =
    (await store.findEvent(demoEventId)) ??
    (await store.insertEvent({
      id: demoEventId,
      name: 'Demo drop',
      stock: 100,
      perUserLimit: 1,
      startsAt: null,
      endsAt: null,
    }));
  await gate.loadEvent(event);
}

/** A token for the printed curl lines: tokens need an exp, and it may live as long as the API allows. */
export function devTokenFor(userId: string, secret: string, lifetimeSeconds: number): Promise<string> {
  // One clock reading for both claims, so exp − iat is exactly the lifetime the API allows.
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + lifetimeSeconds)
    .sign(new TextEncoder().encode(secret));
}

async function welcome(config: Config, devSecrets: readonly DevSecretName[]): Promise<string> {
  const urlOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const base = urlOf(config.HOST, config.PORT);
  // With ADMIN_PORT the operators' routes answer only there.
  const adminBase = config.ADMIN_PORT === undefined ? base : urlOf(config.ADMIN_HOST, config.ADMIN_PORT);
  const userAuth =
    config.AUTH_MODE === 'trusted-header'
      ? `-H '${config.USER_ID_HEADER}: alice'`
      : config.JWT_SECRET
        ? `-H 'Authorization: Bearer ${await devTokenFor('alice', config.JWT_SECRET, config.JWT_MAX_LIFETIME_SECONDS)}'`
        : `-H 'Authorization: Bearer <a JWT whose sub is the user id>'`;
  // A private key stays in the file; the JWKS publishes its public half.
  const shown = (name: DevSecretName) =>
    name === 'ADMISSION_KEYS' ? `a signing key, public at ${base}/.well-known/jwks.json` : config[name];
  const lines = [
    '',
    `firstcome is up on ${base}`,
    `  dashboard: ${adminBase}/dashboard/ (sign in with the admin token)`,
    ...devSecrets.map((name) => `  dev ${name} (kept across restarts; set it yourself in production): ${shown(name)}`),
    '',
    'Claim a coupon of the demo event (stock 100, one per user) as user "alice":',
    ...(config.AUTH_MODE === 'jwt' && config.JWT_SECRET
      ? [`  (the token expires in ${config.JWT_MAX_LIFETIME_SECONDS} seconds, JWT_MAX_LIFETIME_SECONDS)`]
      : []),
    `  curl -s -X POST ${base}/events/${demoEventId}/claims ${userAuth}`,
    `  curl -s ${base}/events/${demoEventId}/claims/me ${userAuth}`,
    'Watch the event as an admin:',
    `  curl -s ${adminBase}/admin/events/${demoEventId} -H 'Authorization: Bearer ${config.ADMIN_TOKEN}'`,
    `API docs (OpenAPI): ${adminBase}/docs · metrics: ${adminBase}/metrics`,
    '',
  ];
  return lines.join('\n') + '\n';
}
