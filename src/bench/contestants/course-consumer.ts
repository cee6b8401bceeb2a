// course-consumer: the course design's Kafka listener. One message at a time, one INSERT (its own
// transaction) per message, offsets committed automatically, as a @KafkaListener calling save() does.
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka';
import { parseContestantArgs } from './claim-server.ts';
import { openContestantSql } from './contestant-sql.ts';

const args = parseContestantArgs(process.argv.slice(2));
const sql = openContestantSql(args.databaseUrl, 1);
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
    .then(() => sql.end())
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
  await sql.insertCoupon(eventId, userId);
}
