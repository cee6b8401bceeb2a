import type { EventId, EventState } from '../claim.ts';
import type { FailedClaimCounts, Store } from '../store/store.ts';
import type { Gate } from '../gate/gate.ts';
import type { AnsweredReading, ClaimTally, OutcomeCounts } from './claim-tally.ts';
import type { EventCatalog } from './event-catalog.ts';
import { stateOf } from './event-views.ts';
import type { KafkaLag, KafkaLagReading } from '../kafka/lag.ts';

export interface OutboxFigures {
  /** Admitted claims not yet acknowledged by Kafka: not yet read by a relay, plus read and unacknowledged. */
  backlog: number;
  /** Read by a relay, not yet acknowledged by Kafka. */
  pending: number;
}

/** One reading of an event; a figure is null when the store that holds it did not answer. */
export interface EventReading {
  atMs: number;
  event: {
    id: EventId;
    name: string;
    stock: number;
    perUserLimit: number;
    startsAt: string | null;
    endsAt: string | null;
    state: EventState | null;
  };
  admitted: number | null;
  remaining: number | null;
  issued: number | null;
  failures: (Omit<FailedClaimCounts, 'nextAttemptAt'> & { nextAttemptAt: string | null }) | null;
  outbox: OutboxFigures | null;
  kafka: KafkaLagReading;
  /** Claims answered by every API process, by outcome, since each started. */
  answered: OutcomeCounts;
  /** When `answered` was counted, when that is not `atMs` (a count shared by the API processes). */
  answeredAtMs?: number;
  /** Which stores did not answer, in words for the operator. */
  trouble: string[];
}

export interface LiveFiguresDeps {
  store: Store;
  gate: Gate;
  catalog: EventCatalog;
  tally: ClaimTally;
  /**
   * Every API process's answers about an event, when this one is one of several (serve --workers N).
   * @defaultValue this process's tally
   */
  readAnswered?: ((eventId: EventId) => Promise<AnsweredReading>) | undefined;
  kafkaLag?: KafkaLag | undefined;
}

const noKafka: KafkaLagReading = { lag: null, reason: 'this API process was not given the Kafka brokers' };

const settle = async <T>(what: string, trouble: string[], read: () => Promise<T>): Promise<T | null> => {
  try {
    return await read();
  } catch (error) {
    trouble.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
};

/** Reads everything the dashboard shows of one event, each store on its own so one outage hides only its figures. */
export function createLiveFigures({ store, gate, catalog, tally, readAnswered, kafkaLag }: LiveFiguresDeps) {
  async function readOutbox(eventId: EventId): Promise<OutboxFigures> {
    const { backlog, pending } = await gate.readOutboxFigures(eventId);
    return { backlog, pending };
  }

  return {
    async read(eventId: EventId): Promise<EventReading> {
      const event = await catalog.find(eventId);
      const trouble: string[] = [];
      const [figures, issued, failures, outbox, kafka, answered] = await Promise.all([
        settle('Redis', trouble, () => catalog.figuresOf(event)),
        settle(store.product, trouble, () => store.countCoupons(eventId)),
        settle(store.product, trouble, () => store.countFailedClaimsByState(eventId)),
        settle('Redis', trouble, () => readOutbox(eventId)),
        kafkaLag ? kafkaLag.read() : noKafka,
        // When the other API processes do not answer, this one's own count is better than none.
        readAnswered ? settle('other API processes', trouble, () => readAnswered(eventId)) : undefined,
      ]);
      const atMs = Date.now();
      return {
        atMs,
        event: {
          id: event.id,
          name: event.name,
          stock: event.stock,
          perUserLimit: event.perUserLimit,
          startsAt: event.startsAt?.toISOString() ?? null,
          endsAt: event.endsAt?.toISOString() ?? null,
          state: figures ? stateOf(event, figures, atMs) : null,
        },
        admitted: figures?.admitted ?? null,
        remaining: figures ? Math.max(0, event.stock - figures.admitted) : null,
        issued,
        failures: failures && { ...failures, nextAttemptAt: failures.nextAttemptAt?.toISOString() ?? null },
        outbox,
        kafka,
        answered: answered?.counts ?? tally.read(eventId),
        ...(answered ? { answeredAtMs: answered.atMs } : {}),
        trouble: [...new Set(trouble)],
      };
    },
  };
}

export type LiveFigures = ReturnType<typeof createLiveFigures>;
