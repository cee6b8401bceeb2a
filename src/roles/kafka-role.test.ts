import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { isAppError } from '../errors.ts';
import { kafkaClientOptions } from '../kafka/kafka-options.ts';
import { kafkaTargetOf } from './kafka-role.ts';

const dir = mkdtempSync(join(tmpdir(), 'firstcome-kafka-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
const ca = file('ca.pem', pem('CERTIFICATE'));
const cert = file('client.pem', pem('CERTIFICATE'));
const key = file('client.key', pem('PRIVATE KEY'));
const passwordFile = file('password', 's3cret\n');

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (isAppError(error, 'CONFIG_INVALID')) return error.message.split('\n');
    throw error;
  }
};
const clientOptionsOf = (env: Record<string, string>) => kafkaClientOptions('test', kafkaTargetOf(loadConfig(env)));

describe('Kafka TLS and SASL from the environment', () => {
  it('connects in plaintext without authentication by default', () => {
    const options = clientOptionsOf({});
    expect(options).toMatchObject({ bootstrapBrokers: ['127.0.0.1:9092'] });
    expect(options).not.toHaveProperty('tls');
    expect(options).not.toHaveProperty('sasl');
  });

  it('gives the client the CA, the client certificate and SCRAM credentials, with the password read from its file', () => {
    const options = clientOptionsOf({
      KAFKA_BROKERS: 'b-1.kafka.example.com:9096,b-2.kafka.example.com:9096',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'firstcome',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    expect(options).toMatchObject({
      tls: { ca: pem('CERTIFICATE'), cert: pem('CERTIFICATE'), key: pem('PRIVATE KEY') },
      // Brokers named by host get SNI, which proxies of managed Kafka route by.
      tlsServerName: true,
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'firstcome', password: 's3cret' },
    });
  });

  it("trusts Node's CAs when KAFKA_SSL is on without a CA file, and sends no SNI to IP addresses", () => {
    const options = clientOptionsOf({
      KAFKA_BROKERS: '10.0.0.5:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(options).toMatchObject({ tls: {}, sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } });
    expect(options).not.toHaveProperty('tlsServerName');
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_USERNAME: is required by'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD: KAFKA_SASL_MECHANISM needs'],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_USERNAME: needs KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM: must be plain, scram-sha-256 or scram-sha-512'],
    [
      {
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      },
      'KAFKA_SASL_PASSWORD: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    ],
    [
      { KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') },
      `KAFKA_SASL_PASSWORD_FILE: cannot read ${join(dir, 'missing')}`,
    ],
    [{ KAFKA_SSL: 'yes' }, 'KAFKA_SSL: must be true or false'],
    [{ KAFKA_SSL_CA_FILE: ca }, 'KAFKA_SSL_CA_FILE: is used only with KAFKA_SSL=true'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: passwordFile }, 'KAFKA_SSL_CA_FILE: must name a PEM file'],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert }, 'KAFKA_SSL_KEY_FILE: a client certificate needs both'],
    [{ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' }, 'KAFKA_MIN_INSYNC_REPLICAS: must not exceed'],
  ])('refuses %o with a line naming the variable', (env, line) => {
    expect(problemsOf(env).some((problem) => problem.startsWith(line))).toBe(true);
  });
});
