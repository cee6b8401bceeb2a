import type { FastifyInstance } from 'fastify';
import { EVENT_ID_PATTERN } from '../../claim.ts';
import type { ProofOfWork } from '../proof-of-work.ts';

export interface QueueChallengeRouteDeps {
  /** Set only where an operator asked for a proof of work (QUEUE_POW_COST). */
  proofOfWork?: ProofOfWork | undefined;
}

const eventParams = {
  params: { type: 'object', properties: { id: { type: 'string', pattern: EVENT_ID_PATTERN } }, required: ['id'] },
} as const;

/**
 * The ALTCHA challenge a client solves before joining an event's queue (the widget's `challenge` URL).
 * It needs no sign-in and touches no datastore: it is an HMAC over random bytes, useless for any other
 * event and once solved and used; whether the event exists and has a queue, the join says.
 */
export function registerQueueChallengeRoute(app: FastifyInstance, { proofOfWork }: QueueChallengeRouteDeps): void {
  app.get<{ Params: { id: string } }>(
    '/events/:id/queue/challenge',
    { schema: eventParams },
    async (request, reply) => {
      if (!proofOfWork) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: 'This service asks for no proof of work to join a queue.' });
      }
      // Each challenge is solved and used once: a cache must never hand the same one to two clients.
      void reply.header('cache-control', 'no-store');
      return proofOfWork.createChallenge(request.params.id);
    },
  );
}
