import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { isAppError } from '../src/errors.ts';
import { ensureClaimsTopic, waitForClaimsTopic } from '../src/kafka/claims-topic.ts';
import { kafkaTargetOf } from '../src/roles/kafka-role.ts';
import { randomId, waitFor } from './fixtures/basics.ts';
import { createPrivateKafka } from './fixtures/datastores.ts';
import { usePipeline } from './fixtures/pipeline.ts';
import { claimAll, createEventVia, expectPromisesHold, waitForCoupons } from './fixtures/promises.ts';

const users = (count: number) => Array.from({ length: count }, (_, i) => `user-${i}`);

describe('a drop through a Kafka that takes only SASL over TLS (scripts/local-kafka start --secure)', () => {
  let kafka: Awaited<ReturnType<typeof createPrivateKafka>> | undefined;
  let kafkaEnv: Record<string, string> = {};
  // Registered before usePipeline's hooks: the broker is up before its processes start, and stops after them.
  beforeAll(async () => {
    kafka = await createPrivateKafka({ secure: true });
    await kafka.start();
    kafkaEnv = await kafka.clientEnv();
  }, 180_000);
  afterAll(async () => {
    await kafka?.destroy();
  });
  const p = usePipeline(() => kafkaEnv);
  const targetWith = (env: Record<string, string>) =>
    kafkaTargetOf(loadConfig({ ...kafkaEnv, KAFKA_TOPIC: randomId('firstcome.secure'), ...env }));

  it('issues every admitted claim with SCRAM-SHA-512 over TLS, and the relay warns in production of one replica', async () => {
    p.processes.dumpOnFailure();
    expect(kafkaEnv).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    const relay = p.spawn('relay', { NODE_ENV: 'production' });
    p.spawn('worker');
    const eventId = randomId('ev');
    await createEventVia(p.api, { id: eventId, name: 'secure drop', stock: 500 });
    const admitted = (await claimAll([p.api], eventId, users(800))).filter((a) => a.status === 202);
    expect(admitted).toHaveLength(500);
    await waitForCoupons(p.t.store, eventId, admitted.length);
    await expectPromisesHold(p.t.probe, eventId, { stock: 500, perUserLimit: 1, admitted });
    await waitFor('the one-replica warning', () => relay.output().includes('has one replica'));
  });

  it('stops a relay whose password is wrong with a line naming the user, the mechanism and the variables to check', async () => {
    const relay = p.spawn('relay', { KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-the-password' });
    expect(await relay.exited).toBe(1);
    // The same words whether the log line is JSON (quotes escaped) or pretty.
    const output = relay.output().replaceAll('\\"', '"');
    expect(output).toContain('refused to authenticate user "firstcome" with SCRAM-SHA-512');
    expect(output).toContain('check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD');
  });

  it.each([
    ['PLAIN', {}],
    ['SCRAM-SHA-256', {}],
    [
      'SCRAM-SHA-512 with a client certificate',
      { KAFKA_SSL_CERT_FILE: 'client.pem', KAFKA_SSL_KEY_FILE: 'client.key' },
    ],
  ])('creates a topic with %s', async (mechanism, files: Record<string, string>) => {
    const tlsDir = kafkaEnv.KAFKA_SSL_CA_FILE!.replace(/ca\.pem$/, '');
    const env = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, tlsDir + file]));
    const target = targetWith({ KAFKA_SASL_MECHANISM: mechanism.split(' ')[0]!, ...env });
    await expect(ensureClaimsTopic(target, 1)).resolves.toMatchObject({ isCreated: true, partitions: 1, replicas: 1 });
  });

  it("gives up at once, saying what to fix, on a broker certificate the client's CAs do not trust", async () => {
    const target = targetWith({ KAFKA_SSL_CA_FILE: '' });
    const failure = await waitForClaimsTopic(target, 1, {
      signal: AbortSignal.timeout(60_000),
      onFailureStreak: () => undefined,
    }).catch((error: unknown) => error);
    expect(isAppError(failure, 'KAFKA_REFUSED')).toBe(true);
    expect((failure as Error).message).toMatch(/TLS certificate of Kafka at .* is not trusted .*set KAFKA_SSL_CA_FILE/);
  });
});
