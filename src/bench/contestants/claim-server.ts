import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sendRejection } from '../../api/http-errors.ts';
import { createHttpServer } from '../../api/http-server.ts';
import { AppError } from '../../errors.ts';

/** What a contestant decides for one claim; the HTTP answer is the same for every design. */
export type ClaimVerdict =
  { kind: 'ADMITTED'; claimId?: string } | { kind: 'SOLD_OUT' } | { kind: 'LIMIT_REACHED' } | { kind: 'BUSY' };

export type DecideClaim = (eventId: string, userId: string) => Promise<ClaimVerdict>;

/** The flags every contestant process takes; each design reads the ones it needs. */
export interface ContestantArgs {
  port: number;
  host: string;
  userIdHeader: string;
  databaseUrl: string;
  redisUrl: string;
  /** host:port of a Redis Cluster's nodes: the design then uses the cluster instead of redisUrl. */
  redisClusterNodes: string[] | undefined;
  kafkaBrokers: string[];
  topic: string;
  keyPrefix: string;
  poolSize: number;
  variant: string;
}

export function parseContestantArgs(argv: string[]): ContestantArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'user-id-header': { type: 'string', default: 'x-user-id' },
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/bench' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      'redis-cluster-nodes': { type: 'string' },
      'kafka-brokers': { type: 'string', default: '127.0.0.1:9092' },
      topic: { type: 'string', default: 'bench.course' },
      'key-prefix': { type: 'string', default: 'bench:' },
      'pool-size': { type: 'string', default: '10' },
      variant: { type: 'string', default: 'correct' },
    },
    strict: true,
  });
  return {
    port: Number(values.port),
    host: values.host,
    userIdHeader: values['user-id-header'].toLowerCase(),
    databaseUrl: values['database-url'],
    redisUrl: values['redis-url'],
    redisClusterNodes: values['redis-cluster-nodes']?.split(','),
    kafkaBrokers: values['kafka-brokers'].split(','),
    topic: values.topic,
    keyPrefix: values['key-prefix'],
    poolSize: Number(values['pool-size']),
    variant: values.variant,
  };
}

/**
 * The HTTP stack every contestant shares with firstcome's API: Fastify with the same options, the user
 * from a trusted header, the same 202/409/503 bodies (the replies come from firstcome's own http-errors).
 */
export function buildClaimServer(args: ContestantArgs, decide: DecideClaim): FastifyInstance {
  const app = createHttpServer();
  app.get('/healthz', async () => ({ status: 'ok' }));
  const params = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } as const;
  app.post<{ Params: { id: string } }>('/events/:id/claims', { schema: { params } }, async (request, reply) => {
    const header = request.headers[args.userIdHeader];
    const userId = Array.isArray(header) ? header[0] : header;
    if (!userId) throw new AppError('UNAUTHENTICATED', `The ${args.userIdHeader} header names no user.`);
    const eventId = request.params.id;
    const verdict = await decide(eventId, userId);
    switch (verdict.kind) {
      case 'ADMITTED':
        return reply.code(202).send({ claimId: verdict.claimId, eventId, userId, status: 'pending' });
      case 'BUSY':
        throw new AppError('DB_UNAVAILABLE', `no lock on event ${eventId} in time`, { retryable: true });
      default:
        return sendRejection(reply, verdict.kind);
    }
  });
  return app;
}

/** Listens, and on SIGTERM/SIGINT closes the server before `close` releases the design's connections. */
export async function runClaimServer(
  args: ContestantArgs,
  decide: DecideClaim,
  close: () => Promise<void> = async () => undefined,
): Promise<void> {
  const app = buildClaimServer(args, decide);
  await app.listen({ port: args.port, host: args.host });
  const stop = () => {
    app
      .close()
      .then(close)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
