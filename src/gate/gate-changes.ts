import type { EventId } from '../claim.ts';
import { gateChangesChannel, gateKeys } from './keys.ts';
import { type GateRedis, isCluster } from './redis.ts';
import type { GateChange, VerdictCache } from './verdict-cache.ts';

export type { GateChange } from './verdict-cache.ts';

/** A change to tell every API process of; the notice adds the event's generation. */
export interface GateNotice {
  kind: GateChange['kind'];
  eventId: EventId;
}

/**
 * Publishes a change the gate made already, with the event's generation read after it: the notice is never
 * older than the change it tells of (a newer generation read meanwhile only makes caches more careful).
 */
export async function publishGateChange(redis: GateRedis, notice: GateNotice): Promise<GateChange> {
  const generation = Number((await redis.hGet(gateKeys(notice.eventId).event, 'generation')) ?? 0);
  const change: GateChange = { kind: notice.kind, eventId: notice.eventId, generation };
  await redis.publish(gateChangesChannel, JSON.stringify(change));
  return change;
}

export const parseGateChange = (message: string): GateChange | undefined => {
  try {
    const value = JSON.parse(message) as Partial<GateChange>;
    if ((value.kind === 'ended' || value.kind === 'restocked') && typeof value.eventId === 'string') {
      // A notice without a generation still says "forget the sell-out"; it guards no later verdict.
      const generation = typeof value.generation === 'number' ? value.generation : 0;
      return { kind: value.kind, eventId: value.eventId, generation };
    }
  } catch {
    // Not ours: another publisher on the channel.
  }
  return undefined;
};

/**
 * Subscribes a cache to the channel on a connection of its own (a subscribed connection runs no other
 * command). Messages published while this process was disconnected are lost, so a reconnect clears the
 * sold-out memory: the next claim asks Redis again.
 */
export async function subscribeGateChanges(
  redis: GateRedis,
  cache: VerdictCache,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const subscriber = redis.duplicate();
  subscriber.on('error', onError);
  const forgetSoldOut = () => cache.forgetSoldOut();
  // A client says 'ready' on every (re)connect; a cluster never does, it says 'node-ready' for each node's
  // connection (its pub/sub connection included), so on a cluster any node's reconnect clears the memory.
  if (isCluster(subscriber)) subscriber.on('node-ready', forgetSoldOut);
  else subscriber.on('ready', forgetSoldOut);
  await subscriber.connect();
  await subscriber.subscribe(gateChangesChannel, (message: string) => {
    const change = parseGateChange(message);
    if (change) cache.hear(change);
  });
  return async () => {
    await subscriber.unsubscribe(gateChangesChannel);
    subscriber.destroy();
  };
}
