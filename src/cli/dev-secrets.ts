import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config.ts';
import type { DevSecretName } from '../roles/start.ts';

/** Where `firstcome start` keeps the secrets it makes, relative to the checkout it runs in (git-ignored). */
export const devSecretsFile = '.firstcome/dev-secrets.json';

const makeSecret = (bytes: number) => randomBytes(bytes).toString('base64url');

/** The secrets this configuration lacks, with how many random bytes each gets. */
const missingSecrets = (config: Config): Array<[DevSecretName, number]> => [
  ...(config.ADMIN_TOKEN ? [] : [['ADMIN_TOKEN', 18] as [DevSecretName, number]]),
  ...(config.AUTH_MODE === 'jwt' && !config.JWT_SECRET && !config.JWT_JWKS_URL
    ? [['JWT_SECRET', 32] as [DevSecretName, number]]
    : []),
  ...(config.QUEUE_POW_COST > 0 && !config.ALTCHA_HMAC_KEY ? [['ALTCHA_HMAC_KEY', 32] as [DevSecretName, number]] : []),
];

async function readKept(path: string): Promise<Partial<Record<DevSecretName, string>>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Partial<Record<DevSecretName, string>>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * Fills in the secrets the operator did not set, taking those kept in `path` by an earlier start and
 * keeping new ones there, so an open dashboard or a printed token stays valid across restarts. A
 * secret set in the environment (or .env) always wins and is never written.
 */
export async function withDevSecrets(
  config: Config,
  path: string,
): Promise<{ config: Config; devSecrets: DevSecretName[] }> {
  const missing = missingSecrets(config);
  if (missing.length === 0) return { config, devSecrets: [] };
  const kept = await readKept(path);
  const filled = { ...kept };
  for (const [name, bytes] of missing) filled[name] ??= makeSecret(bytes);
  if (missing.some(([name]) => kept[name] === undefined)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(filled, null, 2)}\n`, { mode: 0o600 });
  }
  const names = missing.map(([name]) => name);
  return { config: { ...config, ...Object.fromEntries(names.map((n) => [n, filled[n]])) }, devSecrets: names };
}
