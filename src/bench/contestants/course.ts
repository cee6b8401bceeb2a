// course: the widely copied course design as its clones write it. The API does SADD (one coupon per user),
// then INCR (the count), then hands the claim to Kafka without waiting for the broker; course-consumer.ts
// inserts one row per message. The producer batches as KafkaTemplate's does (a short linger).
// --variant no-sadd skips the SADD: the broken design the harness tests must catch (users over limit).
import { Producer, stringSerializers } from '@platformatic/kafka';
import { createClient, createCluster } from 'redis';
import { AppError } from '../../errors.ts';
import { parseContestantArgs, runClaimServer, type ClaimVerdict } from './claim-server.ts';
import { openContestantSql } from './contestant-sql.ts';

const lingerMs = 5;

const args = parseContestantArgs(process.argv.slice(2));
// On a Redis Cluster one event's keys share the hash tag {eventId}: the design's one Redis, for one event.
const redis = args.redisClusterNodes
  ? createCluster({ rootNodes: args.redisClusterNodes.map((node) => ({ url: `redis://${node}` })) })
  : createClient({ url: args.redisUrl });
redis.on('error', () => undefined);
await redis.connect();
const producer = new Producer({
  clientId: 'course-api',
  bootstrapBrokers: args.kafkaBrokers,
  serializers: stringSerializers,
});
const outgoing = producer.asStream({ batchTime: lingerMs });
let produceFailures = 0;
outgoing.on('error', () => (produceFailures += 1));

// The clones hard-code the stock; reading it once per event from the database is the same thing.
const events = openContestantSql(args.databaseUrl, 1);
const stocks = new Map<string, Promise<number | undefined>>();
const stockOf = (eventId: string) => {
  let stock = stocks.get(eventId);
  if (!stock) {
    stock = events.stockOf(eventId);
    stocks.set(eventId, stock);
  }
  return stock;
};

async function decide(eventId: string, userId: string): Promise<ClaimVerdict> {
  const stock = await stockOf(eventId);
  if (stock === undefined) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
  try {
    if (args.variant !== 'no-sadd') {
      const added = await redis.sAdd(`${args.keyPrefix}{${eventId}}:applied`, userId);
      if (added === 0) return { kind: 'LIMIT_REACHED' };
    }
    const count = await redis.incr(`${args.keyPrefix}{${eventId}}:count`);
    if (count > stock) return { kind: 'SOLD_OUT' };
  } catch (error) {
    throw new AppError('GATE_UNAVAILABLE', `Redis did not answer for ${eventId}`, { cause: error, retryable: true });
  }
  outgoing.write({ topic: args.topic, value: JSON.stringify({ eventId, userId }) });
  return { kind: 'ADMITTED' };
}

await runClaimServer(args, decide, async () => {
  await outgoing.close().catch(() => undefined);
  await producer.close().catch(() => undefined);
  if (produceFailures > 0) process.stderr.write(`course: ${produceFailures} produce failures\n`);
  await events.end();
  redis.destroy();
});
