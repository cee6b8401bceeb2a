import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { EventDefinition, EventId } from '../claim.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Gate } from '../gate/gate.ts';
import type { VerdictCache } from '../gate/verdict-cache.ts';
import type { Store } from '../store/store.ts';
import type { EventCatalog } from './event-catalog.ts';

export interface CloseEventDeps {
  store: Store;
  gate: Gate;
  catalog: EventCatalog;
  verdicts: VerdictCache;
}

export interface CloseEventOptions {
  /** How long the gate's end is retried before the close answers 503, in ms. @defaultValue 5000 */
  gateBudgetMs?: number;
  /** The first pause between attempts, doubling up to 1 s, in ms. @defaultValue 50 */
  firstRetryMs?: number;
}

/** Ends a closed event in the gate at its close time or Redis's, whichever is earlier. */
async function endInGate({ gate, catalog }: CloseEventDeps, closed: EventDefinition): Promise<void> {
  const endsAtMs = (closed.closedAt ?? new Date()).getTime();
  if (await gate.endEvent(closed.id, endsAtMs)) return;
  // Redis lost the event: load it from the database, which has the close, then end it again on Redis's clock.
  await catalog.loadIntoGate(closed);
  if (await gate.endEvent(closed.id, endsAtMs)) return;
  throw new AppError('GATE_UNAVAILABLE', `event ${closed.id} left the gate while it was being closed`, {
    retryable: true,
  });
}

/**
 * Closes an event so that it stays closed everywhere: when this resolves, every API process refuses its
 * claims with `ended` (including one started later, or one that missed the notice).
 *
 * 1. The database first: it is what a gate that lost the event is loaded from, so a load brings the close.
 * 2. The gate's end, retried with backoff for `gateBudgetMs`: end-event ends the event at Redis's own time,
 *    so no admission runs after it. Failing that, GATE_UNAVAILABLE (503): the database has the close and
 *    the gate does not yet; the next close (or the drift watch) brings them together.
 * 3. The notice to every process's verdict cache (this one's at once). It is only a speed-up: a process
 *    that misses it and remembered SOLD_OUT keeps that memory no longer than `soldOutMemoryMs` from when it
 *    sent the claim that learnt it, and that claim ran before the end. So the close waits as long after the
 *    gate's end before answering, and from then on no memory older than the end answers a claim.
 */
export async function closeEvent(
  deps: CloseEventDeps,
  eventId: EventId,
  log: FastifyBaseLogger,
  { gateBudgetMs = 5000, firstRetryMs = 50 }: CloseEventOptions = {},
): Promise<EventDefinition> {
  const { store, gate, catalog, verdicts } = deps;
  const closed = await store.closeEvent(eventId);
  if (!closed) throw new AppError('EVENT_NOT_FOUND', `No event has the id "${eventId}".`);
  catalog.remember(closed);

  const deadline = Date.now() + gateBudgetMs;
  for (let pauseMs = firstRetryMs; ; pauseMs = Math.min(pauseMs * 2, 1000)) {
    try {
      await endInGate(deps, closed);
      break;
    } catch (error) {
      if (!isAppError(error, 'GATE_UNAVAILABLE') || Date.now() + pauseMs > deadline) throw error;
      log.warn({ err: error, eventId, retryInMs: pauseMs }, 'close: the gate did not take the end; retrying');
      await sleep(pauseMs);
    }
  }
  const endedAtMs = verdicts.now();

  try {
    verdicts.hear(await gate.publishChange({ kind: 'ended', eventId }));
  } catch (error) {
    verdicts.remember(eventId, 'ENDED');
    log.warn({ err: error, eventId }, 'close: the ended notice was not published; memories lapse instead');
  }
  const waitMs = endedAtMs + verdicts.soldOutMemoryMs - verdicts.now();
  if (waitMs > 0) await sleep(waitMs);
  return closed;
}
