// course-consumer: the course design's Kafka listener. One message at a time, one INSERT (its own
// transaction) per message, offsets committed automatically, as a @KafkaListener calling save() does.
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import pg from 'pg';
import { parseContestantArgs } from './claim-server.ts';

const args = parseContestantArgs(process.argv.slice(2));
const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 1 });
pool.on('error', () => undefined);
const consumer = new Consumer({
  groupId: `${args.topic}.consumer`,
  clientId: 'course-consumer',
  bootstrapBrokers: args.kafkaBrokers,
  deserializers: stringDeserializers,
});
const stream = await consumer.consume({
  topics: [args.topic],
  autocommit: true,
  mode: MessagesStreamModes.COMMITTED,
  fallbackMode: MessagesStreamFallbackModes.EARLIEST,
});

let stopping = false;
const stop = () => {
  stopping = true;
  stream
    .close()
    .then(() => consumer.close())
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

for await (const message of stream) {
  if (stopping) break;
  const { eventId, userId } = JSON.parse(message.value) as { eventId: string; userId: string };
  await pool.query({
    name: 'insert-coupon',
    text: 'INSERT INTO coupons (event_id, user_id) VALUES ($1, $2)',
    values: [eventId, userId],
  });
}
