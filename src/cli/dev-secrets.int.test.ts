import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateAdmissionKey } from '../admission-keys.ts';
import { loadConfig } from '../config.ts';
import { withDevSecrets } from './dev-secrets.ts';

describe('withDevSecrets', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'firstcome-secrets-'));
    file = join(dir, '.firstcome/dev-secrets.json');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('makes the missing secrets once and gives the same ones after a restart, so an open dashboard stays signed in', async () => {
    const first = await withDevSecrets(loadConfig({}), file);
    expect(first.devSecrets).toEqual(['ADMIN_TOKEN', 'JWT_SECRET', 'ADMISSION_KEYS']);
    expect(first.config.ADMIN_TOKEN).toMatch(/^[\w-]{24}$/);
    expect(first.config.ADMISSION_KEYS).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256' })]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const restarted = await withDevSecrets(loadConfig({}), file);
    expect(restarted.config.ADMIN_TOKEN).toBe(first.config.ADMIN_TOKEN);
    expect(restarted.config.JWT_SECRET).toBe(first.config.JWT_SECRET);
    // The same signing key: tokens handed out before the restart still verify after it.
    expect(restarted.config.ADMISSION_KEYS).toEqual(first.config.ADMISSION_KEYS);
  });

  it('leaves a secret the operator set alone, and never writes it down', async () => {
    const set = loadConfig({
      ADMIN_TOKEN: 'the-operators-own-token',
      AUTH_MODE: 'trusted-header',
      ADMISSION_KEYS: JSON.stringify([generateAdmissionKey()]),
    });
    expect(await withDevSecrets(set, file)).toEqual({ config: set, devSecrets: [] });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });

    const half = await withDevSecrets(
      loadConfig({ ADMIN_TOKEN: 'the-operators-own-token', ADMISSION_KEYS: JSON.stringify([generateAdmissionKey()]) }),
      file,
    );
    expect(half.devSecrets).toEqual(['JWT_SECRET']);
    expect(half.config.ADMIN_TOKEN).toBe('the-operators-own-token');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ JWT_SECRET: half.config.JWT_SECRET });
  });

  it('keeps what it kept when a later start needs one more', async () => {
    const token = (await withDevSecrets(loadConfig({ AUTH_MODE: 'trusted-header' }), file)).config.ADMIN_TOKEN;
    const later = await withDevSecrets(loadConfig({}), file);
    expect(later.config.ADMIN_TOKEN).toBe(token);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      ADMIN_TOKEN: token,
      JWT_SECRET: later.config.JWT_SECRET,
      // Kept as the text ADMISSION_KEYS would hold, so it can be copied into an environment.
      ADMISSION_KEYS: JSON.stringify(later.config.ADMISSION_KEYS),
    });
  });

  it('stops, naming the file, when the kept admission key was spoiled', async () => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ ADMISSION_KEYS: '[{"kty":"EC"}]' }));
    await expect(withDevSecrets(loadConfig({}), file)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`${file}: ADMISSION_KEYS key 1 has no kid`),
    });
  });
});
