import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDotEnv } from './dot-env.ts';

describe('loadDotEnv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'firstcome-dotenv-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('adds what the environment lacks; a variable in the environment, even empty, wins', async () => {
    await writeFile(join(dir, '.env'), '# dev\nPORT=4000\nLOG_LEVEL=debug\nADMIN_TOKEN="from the file"\n');
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ADMIN_TOKEN: '' };
    loadDotEnv(join(dir, '.env'), env);
    expect(env).toEqual({ PORT: '4000', LOG_LEVEL: 'warn', ADMIN_TOKEN: '' });
  });

  it('does nothing where there is no .env', () => {
    const env: NodeJS.ProcessEnv = { PORT: '3000' };
    loadDotEnv(join(dir, '.env'), env);
    expect(env).toEqual({ PORT: '3000' });
  });
});
