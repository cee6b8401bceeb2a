import type { QueueSettings } from '../claim.ts';
import { AppError } from '../errors.ts';

/** A queue's settings as an admin sends them (POST /admin/events, PATCH /admin/events/:id). */
export interface QueueSettingsBody {
  prequeueAt: string;
  admitPerSecond: number;
  maxActive?: number;
  tokenTtlSeconds?: number;
}

/** How long a turn lasts when the admin does not say: long enough to press a button after a wait. */
export const defaultTokenTtlSeconds = 300;

/** The JSON schema of `queue`: the ranges match the events table's checks (migration 0007). */
export const queueSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prequeueAt', 'admitPerSecond'],
  properties: {
    prequeueAt: { type: 'string', format: 'date-time' },
    admitPerSecond: { type: 'integer', minimum: 1, maximum: 100_000 },
    maxActive: { type: 'integer', minimum: 1, maximum: 100_000_000 },
    tokenTtlSeconds: { type: 'integer', minimum: 10, maximum: 3600 },
  },
} as const;

/** The settings of a queue that opens at `startsAt`; a queue needs an opening, and joining opens before it. */
export function queueSettingsOf(body: QueueSettingsBody, startsAt: Date | null): QueueSettings {
  if (!startsAt) throw new AppError('INVALID_REQUEST', 'queue: needs startsAt, the moment the queue opens');
  const prequeueAt = new Date(body.prequeueAt);
  if (prequeueAt.getTime() > startsAt.getTime()) {
    throw new AppError('INVALID_REQUEST', 'queue.prequeueAt: must not be later than startsAt');
  }
  return {
    prequeueAt,
    admitPerSecond: body.admitPerSecond,
    maxActive: body.maxActive ?? null,
    tokenTtlSeconds: body.tokenTtlSeconds ?? defaultTokenTtlSeconds,
  };
}
