import type { Logger } from 'pino';
import type { AdmittedClaim } from '../claim.ts';
import type { Metrics } from '../metrics.ts';
import type { LoopHealth } from '../runtime/loop-health.ts';
import { retryUntil, runLoop, createStoppable } from '../runtime/run-loop.ts';
import type { ClaimProducer } from './claim-producer.ts';
import type { OutboxConsumer, OutboxEntry, OutboxName } from '../gate/outbox.ts';

export interface RelayOptions {
  /** Entries read per event and call; a full batch means more may wait. */
  batchSize: number;
  /** How often the set of active events is read again. @defaultValue 1000 */
  eventsRefreshMs?: number;
  /** Pause between polls when no outbox held anything. @defaultValue 20 */
  idlePollMs?: number;
  /** How often entries left pending by a dead relay are looked for. @defaultValue 1000 */
  takeOverEveryMs?: number;
}

export interface RelayDeps {
  reader: OutboxConsumer;
  producer: ClaimProducer;
  log: Logger;
  metrics: Pick<Metrics, 'relayedClaims' | 'relayBacklog' | 'relayLagSeconds'>;
  /** Hears each cycle, for /healthz. */
  health?: LoopHealth;
}

const backoffMs = (failures: number) => Math.min(100 * 2 ** failures, 2000);
/** An event that had entries this recently is polled on every cycle; others once per events refresh. */
const busyForMs = 5000;
/** A log line per this period with something moved: one line per drop, not one per claim. */
const summaryEveryMs = 10_000;

/**
 * Moves admitted claims from the gate's outbox streams to Kafka, at least once: entries are
 * acknowledged and deleted only after Kafka acknowledged them, so a crash at any point leaves them
 * pending, and this or another relay sends them again.
 */
export function createRelay({ reader, producer, log, metrics, health }: RelayDeps, options: RelayOptions) {
  const { batchSize, eventsRefreshMs = 1000, idlePollMs = 20, takeOverEveryMs = 1000 } = options;
  const lifecycle = createStoppable(() => loop());
  let outboxes: OutboxName[] = [];
  let outboxesReadAt = -Infinity;
  let takenOverAt = -Infinity;
  const busyAt = new Map<OutboxName, number>();

  async function readEntries(): Promise<Array<[OutboxName, OutboxEntry[]]>> {
    const now = Date.now();
    const refresh = now - outboxesReadAt >= eventsRefreshMs;
    if (refresh) {
      outboxes = await reader.listOutboxes();
      outboxesReadAt = now;
      for (const outbox of busyAt.keys()) if (!outboxes.includes(outbox)) busyAt.delete(outbox);
    }
    const takeOver = now - takenOverAt >= takeOverEveryMs;
    if (takeOver) takenOverAt = now;
    // Ended events' outboxes stay listed; polling only busy ones on every cycle keeps an idle relay cheap.
    const polled =
      refresh || takeOver ? outboxes : outboxes.filter((o) => now - (busyAt.get(o) ?? -Infinity) < busyForMs);
    // A take-over cycle reads new entries too: refresh cycles may all be take-over cycles, and an event
    // outbox that only refresh cycles poll would otherwise never have its new entries read.
    const readOutbox = async (outbox: OutboxName) =>
      takeOver ? [...(await reader.claimStale(outbox)), ...(await reader.readNew(outbox))] : reader.readNew(outbox);
    const results = await Promise.allSettled(polled.map(async (outbox) => [outbox, await readOutbox(outbox)] as const));
    const read: Array<[OutboxName, OutboxEntry[]]> = [];
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') read.push([...result.value]);
      else log.warn({ err: result.reason, outbox: polled[i] }, 'relay: reading an outbox failed; will retry');
    }
    if (read.length === 0 && results.length > 0) throw (results[0] as PromiseRejectedResult).reason;
    for (const [outbox, entries] of read) if (entries.length > 0) busyAt.set(outbox, now);
    // A full batch of stale entries means more may wait: take them over on the next cycle too.
    if (takeOver && read.some(([, entries]) => entries.length >= batchSize)) takenOverAt = -Infinity;
    return read.filter(([, entries]) => entries.length > 0);
  }

  /** Retries until Kafka takes the claims; gives up only when the relay stops (the entries stay pending). */
  async function publishUntilAcknowledged(claims: AdmittedClaim[]): Promise<boolean> {
    const published = await retryUntil(() => producer.publishClaims(claims), {
      signal: lifecycle.signal,
      backoffMs,
      onFailureStreak: (error) => log.warn({ err: error }, 'relay: Kafka did not acknowledge; retrying with backoff'),
      onRecovered: () => log.info({ claims: claims.length }, 'relay: Kafka acknowledged again'),
    });
    return published.isDone;
  }

  async function relayOnce(): Promise<number> {
    const read = await readEntries();
    const claims = read.flatMap(([, entries]) => entries.map((e) => e.claim));
    if (claims.length === 0) return 0;
    metrics.relayBacklog.set(claims.length);
    if (!(await publishUntilAcknowledged(claims))) return 0;
    await Promise.all(
      read.map(([outbox, entries]) =>
        reader.acknowledge(
          outbox,
          entries.map((e) => e.id),
        ),
      ),
    );
    metrics.relayBacklog.set(0);
    metrics.relayedClaims.inc(claims.length);
    const ackedAtMs = Date.now();
    for (const { admittedAtMs } of claims) {
      // A malformed outbox entry has no admission time; it is relayed all the same, for the worker to judge.
      if (Number.isFinite(admittedAtMs)) metrics.relayLagSeconds.observe((ackedAtMs - admittedAtMs) / 1000);
    }
    return claims.length;
  }

  async function loop(): Promise<void> {
    let movedSinceSummary = 0;
    const summary = setInterval(() => {
      if (movedSinceSummary > 0) {
        log.info({ claims: movedSinceSummary }, `relay: moved ${movedSinceSummary} claims to Kafka`);
      }
      movedSinceSummary = 0;
    }, summaryEveryMs);
    await runLoop({
      signal: lifecycle.signal,
      step: async () => {
        const moved = await relayOnce();
        movedSinceSummary += moved;
        return moved === 0 ? idlePollMs : 0;
      },
      backoffMs,
      health: health && { of: health, turn: 'a cycle (outboxes to Kafka)' },
      onFailureStreak: (error) => log.warn({ err: error }, 'relay: cycle failed; retrying with backoff'),
      onRecovered: () => log.info('relay: outboxes readable again'),
    });
    clearInterval(summary);
    await reader.leaveGroups().catch((error: unknown) => log.debug({ err: error }, 'relay: leaving groups failed'));
  }

  return {
    /** Runs until `stop`; never rejects (failures are retried, and logged once per streak). */
    run: () => lifecycle.run(),
    /** Finishes the batch in hand (unless Kafka refuses it), then returns. */
    stop: () => lifecycle.stop(),
  };
}

export type Relay = ReturnType<typeof createRelay>;
