import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAdmissionKey } from './admission-keys.ts';
import { loadConfig } from './config.ts';
import { isAppError } from './errors.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (isAppError(error, 'CONFIG_INVALID')) return error.message.split('\n');
    throw error;
  }
  return [];
};

describe('loadConfig', () => {
  it("gives the contract's defaults for a single dev machine", () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_TOPIC: 'firstcome.claims',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/firstcome',
      AUTH_MODE: 'jwt',
      USER_ID_HEADER: 'x-user-id',
    });
  });

  it('says one line per bad variable, naming it', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      AUTH_MODE: 'magic',
      KAFKA_BROKERS: 'a:1,,b',
      DATABASE_URL: 'mysql//x',
    });
    expect(problems).toHaveLength(4);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'AUTH_MODE',
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'PORT',
    ]);
  });

  it('takes a PostgreSQL or a MySQL DATABASE_URL, and no other', () => {
    const url = 'mysql://firstcome:secret@db.internal:3306/firstcome';
    expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    expect(problemsOf({ DATABASE_URL: 'sqlite:///tmp/x.db' })).toEqual([
      'DATABASE_URL: must be a URL starting with postgres:// or postgresql:// or mysql://',
    ]);
  });

  it('refuses both JWT_SECRET and JWT_JWKS_URL', () => {
    expect(problemsOf({ JWT_SECRET: 's'.repeat(32), JWT_JWKS_URL: 'https://id.example/jwks' })).toEqual([
      'JWT_SECRET: set JWT_SECRET or JWT_JWKS_URL, not both',
    ]);
  });

  it('defaults identity checks to one-day tokens and loopback proxies', () => {
    expect(loadConfig({})).toMatchObject({
      JWT_MAX_LIFETIME_SECONDS: 86_400,
      TRUSTED_PROXIES: ['127.0.0.0/8', '::1'],
    });
    expect(loadConfig({}).TRUSTED_PROXY_SECRET).toBeUndefined();
  });

  it('takes TRUSTED_PROXIES as addresses and CIDRs, IPv4 and IPv6', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.168.1.7,::ffff:10.0.0.1' }).TRUSTED_PROXIES).toEqual(
      ['10.0.0.0/8', 'fd00::/8', '192.168.1.7', '::ffff:10.0.0.1'],
    );
  });

  it.each([
    ['a host name', 'gateway.internal'],
    ['an IPv4 prefix over 32', '10.0.0.0/33'],
    ['an IPv6 prefix over 128', 'fd00::/129'],
    ['two prefixes', '10.0.0.0/8/9'],
    ['an empty entry', '127.0.0.1,,::1'],
  ])('refuses TRUSTED_PROXIES with %s, in one line', (_label, value) => {
    expect(problemsOf({ TRUSTED_PROXIES: value })).toEqual([expect.stringMatching(/^TRUSTED_PROXIES: /)]);
  });

  it('refuses a TRUSTED_PROXY_SECRET under 16 characters or with characters a header cannot carry', () => {
    expect(problemsOf({ TRUSTED_PROXY_SECRET: 'short' })).toEqual([
      'TRUSTED_PROXY_SECRET: must be at least 16 characters',
    ]);
    expect(problemsOf({ TRUSTED_PROXY_SECRET: 'sixteen chars or more' })).toEqual([
      expect.stringMatching(/^TRUSTED_PROXY_SECRET: must be visible ASCII/),
    ]);
    expect(loadConfig({ TRUSTED_PROXY_SECRET: 'p'.repeat(16) }).TRUSTED_PROXY_SECRET).toBe('p'.repeat(16));
  });

  it('refuses a JWT_MAX_LIFETIME_SECONDS that is not a whole number above 0', () => {
    for (const value of ['0', '-5', '1.5', 'a day']) {
      expect(problemsOf({ JWT_MAX_LIFETIME_SECONDS: value })).toEqual([
        expect.stringMatching(/^JWT_MAX_LIFETIME_SECONDS: /),
      ]);
    }
    expect(loadConfig({ JWT_MAX_LIFETIME_SECONDS: '3600' }).JWT_MAX_LIFETIME_SECONDS).toBe(3600);
  });

  it('refuses a JWT_JWKS_URL over plain http to a host that is not loopback', () => {
    for (const url of ['http://id.example/jwks', 'http://10.0.0.8/jwks', 'http://0.0.0.0:8080/jwks', 'ftp://x/jwks']) {
      expect(problemsOf({ JWT_JWKS_URL: url })).toEqual([expect.stringMatching(/^JWT_JWKS_URL: must be an https/)]);
    }
  });

  it('takes a JWT_JWKS_URL over https anywhere, and over http on loopback', () => {
    for (const url of [
      'https://id.example/.well-known/jwks.json',
      'http://127.0.0.1:8080/jwks',
      'http://localhost/jwks',
      'http://[::1]:9000/jwks',
    ]) {
      expect(loadConfig({ JWT_JWKS_URL: url }).JWT_JWKS_URL).toBe(url);
    }
  });

  it('takes API_WORKERS from 1 to 256, and leaves it unset for `serve` to choose one per CPU', () => {
    expect(loadConfig({}).API_WORKERS).toBeUndefined();
    expect(loadConfig({ API_WORKERS: '256' }).API_WORKERS).toBe(256);
    for (const value of ['0', '257', '1.5', 'many']) {
      expect(problemsOf({ API_WORKERS: value })).toEqual(['API_WORKERS: must be a whole number from 1 to 256']);
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });

  it('keeps the admin routes on PORT unless ADMIN_PORT is set, and then binds them to loopback unless ADMIN_HOST says', () => {
    expect(loadConfig({}).ADMIN_PORT).toBeUndefined();
    expect(loadConfig({ ADMIN_PORT: '9090' })).toMatchObject({ ADMIN_PORT: 9090, ADMIN_HOST: '127.0.0.1' });
    expect(loadConfig({ ADMIN_PORT: '9090', ADMIN_HOST: '10.0.0.5' }).ADMIN_HOST).toBe('10.0.0.5');
  });

  it('refuses an ADMIN_PORT that is not a port, or is PORT, and an ADMIN_HOST without ADMIN_PORT', () => {
    for (const value of ['0', '65536', 'admin', '90.5']) {
      expect(problemsOf({ ADMIN_PORT: value })).toEqual(['ADMIN_PORT: must be a port number from 1 to 65535']);
    }
    expect(problemsOf({ PORT: '8080', ADMIN_PORT: '8080' })).toEqual(['ADMIN_PORT: must differ from PORT (8080)']);
    expect(problemsOf({ ADMIN_PORT: '3000' })).toEqual(['ADMIN_PORT: must differ from PORT (3000)']);
    expect(problemsOf({ ADMIN_HOST: '0.0.0.0' })).toEqual([
      'ADMIN_HOST: needs ADMIN_PORT (the admin routes are on PORT)',
    ]);
  });

  it('takes an ACL user for Redis only with its password', () => {
    expect(loadConfig({ REDIS_USERNAME: 'firstcome', REDIS_PASSWORD: 'secret' })).toMatchObject({
      REDIS_USERNAME: 'firstcome',
      REDIS_PASSWORD: 'secret',
    });
    expect(problemsOf({ REDIS_USERNAME: 'firstcome' })).toEqual(['REDIS_USERNAME: needs REDIS_PASSWORD']);
  });

  describe('admission keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'firstcome-admission-keys-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const keys = [generateAdmissionKey(), generateAdmissionKey()];
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify(keys));

    it('takes ADMISSION_KEYS or ADMISSION_KEYS_FILE, the same keys either way, and neither by default', () => {
      expect(loadConfig({ ADMISSION_KEYS: JSON.stringify(keys) }).ADMISSION_KEYS).toEqual(keys);
      expect(loadConfig({ ADMISSION_KEYS_FILE: file }).ADMISSION_KEYS).toEqual(keys);
      expect(loadConfig({}).ADMISSION_KEYS).toBeUndefined();
      expect(loadConfig({ ADMISSION_KEYS_FILE: file })).not.toHaveProperty('ADMISSION_KEYS_FILE');
    });

    it('stops the start with one line naming the variable, and no key material in it', () => {
      const [first] = keys;
      const publicOnly = JSON.stringify([{ ...first, d: undefined }]);
      expect(problemsOf({ ADMISSION_KEYS: publicOnly })).toEqual([
        `ADMISSION_KEYS: key 1 (kid "${first!.kid}") is a public key (no "d"): signing needs the private key`,
      ]);
      const problem = problemsOf({ ADMISSION_KEYS: JSON.stringify(keys).slice(0, -5) });
      expect(problem).toEqual([expect.stringMatching(/^ADMISSION_KEYS: is not JSON/)]);
      expect(problem.join()).not.toContain(first!.d);

      const badFile = join(dir, 'bad.json');
      writeFileSync(badFile, JSON.stringify([keys[0], keys[0]]));
      expect(problemsOf({ ADMISSION_KEYS_FILE: badFile })).toEqual([
        expect.stringMatching(/^ADMISSION_KEYS_FILE: key 2 .* kids must be unique$/),
      ]);
      expect(problemsOf({ ADMISSION_KEYS_FILE: join(dir, 'missing.json') })).toEqual([
        expect.stringMatching(/^ADMISSION_KEYS_FILE: cannot read /),
      ]);
      expect(problemsOf({ ADMISSION_KEYS: JSON.stringify(keys), ADMISSION_KEYS_FILE: file })).toEqual([
        'ADMISSION_KEYS: set ADMISSION_KEYS or ADMISSION_KEYS_FILE, not both',
      ]);
    });
  });
});
