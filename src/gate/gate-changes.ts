import type { EventId } from '../claim.ts';
import { gateChangesChannel } from './keys.ts';
import type { GateRedis } from './redis.ts';
import type { VerdictCache } from './verdict-cache.ts';

/** A change that every API process's verdict cache must hear about. */
export type GateChange = { kind: 'ended'; eventId: EventId } | { kind: 'restocked'; eventId: EventId };

export async function publishGateChange(redis: GateRedis, change: GateChange): Promise<void> {
  await redis.publish(gateChangesChannel, JSON.stringify(change));
}

export function applyGateChange(cache: VerdictCache, change: GateChange): void {
  if (change.kind === 'ended') cache.remember(change.eventId, 'ENDED');
  else cache.forget(change.eventId);
}

const parseGateChange = (message: string): GateChange | undefined => {
  try {
    const value = JSON.parse(message) as Partial<GateChange>;
    if ((value.kind === 'ended' || value.kind === 'restocked') && typeof value.eventId === 'string') {
      return { kind: value.kind, eventId: value.eventId };
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
  subscriber.on('ready', () => cache.forgetSoldOut());
  await subscriber.connect();
  await subscriber.subscribe(gateChangesChannel, (message: string) => {
    const change = parseGateChange(message);
    if (change) applyGateChange(cache, change);
  });
  return async () => {
    await subscriber.unsubscribe(gateChangesChannel);
    subscriber.destroy();
  };
}
