import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateAdmissionKey, parseAdmissionKeys } from '../admission-keys.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { DevSecretName } from '../roles/start.ts';

/** Where `firstcome start` keeps the secrets it makes, relative to the checkout it runs in (git-ignored). */
export const devSecretsFile = '.firstcome/dev-secrets.json';

const makeSecret = (bytes: number) => randomBytes(bytes).toString('base64url');

/** How each dev secret is made, kept as the text its variable would hold. */
const makers: Record<DevSecretName, () => string> = {
  ADMIN_TOKEN: () => makeSecret(18),
  JWT_SECRET: () => makeSecret(32),
  ADMISSION_KEYS: () => JSON.stringify([generateAdmissionKey()]),
};

/** The secrets this configuration lacks. */
const missingSecrets = (config: Config): DevSecretName[] => [
  ...(config.ADMIN_TOKEN ? [] : ['ADMIN_TOKEN' as const]),
  ...(config.AUTH_MODE === 'jwt' && !config.JWT_SECRET && !config.JWT_JWKS_URL ? ['JWT_SECRET' as const] : []),
  ...(config.ADMISSION_KEYS ? [] : ['ADMISSION_KEYS' as const]),
];

/** A kept secret as the configuration holds it: ADMISSION_KEYS is parsed (and checked) like the variable. */
function configValueOf(name: DevSecretName, text: string, path: string): Partial<Config> {
  if (name !== 'ADMISSION_KEYS') return { [name]: text };
  try {
    return { ADMISSION_KEYS: parseAdmissionKeys(text) };
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `${path}: ADMISSION_KEYS ${(error as Error).message}; delete it to get a new one`,
    );
  }
}

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
  for (const name of missing) filled[name] ??= makers[name]();
  if (missing.some((name) => kept[name] === undefined)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(filled, null, 2)}\n`, { mode: 0o600 });
  }
  const values = missing.map((name) => configValueOf(name, filled[name] ?? '', path));
  return { config: Object.assign({ ...config }, ...values) as Config, devSecrets: missing };
}
