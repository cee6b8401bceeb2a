import type { FastifyInstance } from 'fastify';
import type { EventId } from '../claim.ts';
import type { Gate } from '../gate/gate.ts';
import type { KafkaLag } from '../kafka/lag.ts';
import type { Metrics } from '../metrics.ts';

export interface DeploymentGaugeDeps {
  gate: Gate;
  kafkaLag?: KafkaLag | undefined;
  metrics: Pick<Metrics, 'outboxLength' | 'kafkaGroupLag' | 'gateUp'>;
}

/** A scrape must answer even when a store hangs: a reading slower than this gives no sample. */
const readingTimeoutMs = 2000;

const within = <T>(what: string, reading: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${readingTimeoutMs} ms`)), readingTimeoutMs);
    reading.then(resolve, reject).finally(() => clearTimeout(timer));
  });

/**
 * The events whose outbox length is worth a series: those on the relays' list that still admit (or
 * have not started), and any whose outbox still holds claims. Ended and drained events drop out, so
 * the series stay as few as the drops under way.
 */
async function readActiveOutboxes(gate: Gate, nowMs: number): Promise<Map<EventId, number>> {
  const lengths = new Map<EventId, number>();
  await Promise.all(
    (await gate.listActiveEvents()).map(async (eventId) => {
      const [window, figures] = await Promise.all([gate.readWindow(eventId), gate.readOutboxFigures(eventId)]);
      const isOver = window !== undefined && window.endsAtMs > 0 && window.endsAtMs <= nowMs;
      if (figures.length > 0 || (window !== undefined && !isOver)) lengths.set(eventId, figures.length);
    }),
  );
  return lengths;
}

/**
 * The deployment's figures that only the datastores know, read by the API when Prometheus scrapes: the
 * outboxes (from the gate), the workers' lag (from the broker, so it is there even when every worker
 * is dead) and whether the gate answers. Stops reading when the app closes.
 */
export function readDeploymentGauges(app: FastifyInstance, { gate, kafkaLag, metrics }: DeploymentGaugeDeps): void {
  metrics.outboxLength.readWith(async (gauge) => {
    const lengths = await within('the outboxes', readActiveOutboxes(gate, Date.now()));
    for (const [event, length] of lengths) gauge.set({ event }, length);
  });
  metrics.gateUp.readWith(async (gauge) => {
    const isUp = await within('PING', gate.ping()).then(
      () => true,
      () => false,
    );
    gauge.set(isUp ? 1 : 0);
  });
  if (kafkaLag) {
    metrics.kafkaGroupLag.readWith(async (gauge) => {
      const reading = await within('Kafka', kafkaLag.read());
      if (reading.lag !== null) gauge.set({ topic: kafkaLag.topic, group: kafkaLag.groupId }, reading.lag);
    });
  }
  app.addHook('onClose', async () => {
    for (const scraped of [metrics.outboxLength, metrics.gateUp, metrics.kafkaGroupLag]) scraped.readWith(undefined);
  });
}
