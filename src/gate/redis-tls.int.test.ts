import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventDefinition } from '../../test/fixtures/tickets.ts';
import { freePort, randomId, waitFor } from '../../test/fixtures/basics.ts';
import { loadConfig } from '../config.ts';
import { openGate } from './open-gate.ts';
import { connectRedis, createRedis } from './redis.ts';

const run = promisify(execFile);

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
async function makeCertificates(dir: string) {
  const at = (file: string) => join(dir, file);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=firstcome test CA',
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.crt'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    at('redis.key'),
    '-out',
    at('redis.csr'),
  ]);
  await writeFile(at('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    at('redis.csr'),
    '-CA',
    at('ca.crt'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    at('san.ext'),
    '-out',
    at('redis.crt'),
  ]);
  return { ca: at('ca.crt'), cert: at('redis.crt'), key: at('redis.key') };
}

describe('a Redis that speaks only TLS and asks for a password', () => {
  const password = randomId('pw');
  const aclUser = 'firstcome';
  const aclPassword = randomId('acl');
  let dir = '';
  let server: ChildProcess | undefined;
  let port = 0;
  let ca = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'firstcome-tls-'));
    const files = await makeCertificates(dir);
    ca = files.ca;
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--tls-cert-file',
        files.cert,
        '--tls-key-file',
        files.key,
        '--tls-ca-cert-file',
        files.ca,
        '--tls-auth-clients',
        'no',
        '--requirepass',
        password,
        // An ACL user as a managed Redis hands out: its own password, the commands the gate runs.
        ...['--user', aclUser, 'on', `>${aclPassword}`, '~*', '&*', '+@all', '-@dangerous', '+info'],
      ],
      { stdio: 'ignore' },
    );
    const caPem = await readFile(ca, 'utf8');
    await waitFor(`redis-server with TLS on port ${port}`, async () => {
      const gate = await openGate(
        { url: `rediss://127.0.0.1:${port}`, password, tls: { ca: caPem } },
        () => undefined,
      ).catch(() => undefined);
      await gate?.close();
      return gate !== undefined;
    });
  });

  afterAll(async () => {
    server?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The gate opened from these variables as a role opens it: its settings' warnings, once it admitted a claim. */
  async function admitOneClaim(env: Record<string, string>) {
    const config = loadConfig({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: ca, ...env });
    const gate = await openGate(
      {
        url: config.REDIS_URL,
        username: config.REDIS_USERNAME,
        password: config.REDIS_PASSWORD,
        tls: { ca: config.REDIS_TLS_CA_FILE },
      },
      () => undefined,
    );
    try {
      const warnings = await gate.checkSettings({ isProduction: false });
      const eventId = randomId('ev');
      await gate.loadEvent(eventDefinition(eventId, { stock: 1 }));
      expect(await gate.admitClaim({ eventId, userId: 'alice', claimId: randomId('c') })).toMatchObject({
        kind: 'ADMITTED',
        seq: 1,
      });
      await gate.deleteEvents([eventId]);
      return warnings;
    } finally {
      await gate.close();
    }
  }

  it('admits a claim over rediss:// with REDIS_PASSWORD and the CA of REDIS_TLS_CA_FILE', async () => {
    expect(await admitOneClaim({ REDIS_PASSWORD: password })).toEqual([]);
  });

  it('admits a claim over rediss:// as the ACL user of REDIS_USERNAME, and reads its settings without CONFIG', async () => {
    // CONFIG is a dangerous command, which this user may not run: the check reads INFO instead.
    expect(await admitOneClaim({ REDIS_USERNAME: aclUser, REDIS_PASSWORD: aclPassword })).toEqual([]);
  });

  it('refuses a server whose certificate no trusted CA signed, and says why', async () => {
    const redis = createRedis({ url: `rediss://127.0.0.1:${port}`, password });
    const errors: string[] = [];
    const connecting = connectRedis(redis, (error) => errors.push(String(error)));
    await waitFor('the refusal', () => errors.some((e) => /self[- ]signed|certificate/i.test(e)));
    expect(redis.isReady).toBe(false);
    redis.destroy();
    await connecting.catch(() => undefined);
  });

  it('names REDIS_TLS_CA_FILE when it cannot be read', () => {
    expect(() => loadConfig({ REDIS_TLS_CA_FILE: join(dir, 'missing.pem') })).toThrow(
      /^REDIS_TLS_CA_FILE: cannot read/,
    );
  });
});
