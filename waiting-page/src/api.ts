/** The public API as the waiting page uses it (CONTRACT.md, "Fair start"): every answer also sets the server clock. */
import type { publicEventView } from '@server/api/event-views.ts';
import type { AltchaChallenge } from './proof-of-work.ts';
import type { ServerClock } from './server-clock.ts';

/** An event as GET /events/:id answers it; `queue.prequeueAt` is when joining opens. */
export type PublicEvent = ReturnType<typeof publicEventView>;

export type QueueState = 'prequeue' | 'waiting' | 'your_turn' | 'expired' | 'sold_out' | 'ended';

/** GET /events/:id/queue/me, and the 202 of POST /events/:id/queue. */
export interface QueueView {
  state: QueueState;
  position?: number;
  ahead?: number;
  etaSeconds?: number;
  token?: string;
  retryAfterMs?: number;
}

export interface ClaimView {
  claimId: string;
  status: 'pending' | 'issued' | 'failed';
  couponId?: string;
}

/** An answer: its body when 2xx, else the contract's error code and message. */
export type Answer<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; status: number; error: string; message: string; retryAfterMs?: number };

export function createApi({
  eventId,
  shopperToken,
  clock,
}: {
  eventId: string;
  shopperToken?: string | undefined;
  clock: ServerClock;
}) {
  const base = `/events/${encodeURIComponent(eventId)}`;

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const sentAtMs = Date.now();
    const response = await fetch(`${base}${path}`, {
      method,
      headers: shopperToken ? { ...headers, authorization: `Bearer ${shopperToken}` } : headers,
      cache: 'no-store',
    });
    clock.learn(sentAtMs, Date.now(), response.headers.get('date'));
    const body = (await response.json().catch(() => ({}))) as unknown;
    if (response.ok) return { ok: true, status: response.status, body: body as T };
    const { error, message } = body as { error?: string; message?: string };
    const retryAfterSeconds = Number(response.headers.get('retry-after'));
    return {
      ok: false,
      status: response.status,
      error: error ?? 'http_error',
      message: message ?? `HTTP ${response.status}`,
      ...(retryAfterSeconds > 0 ? { retryAfterMs: retryAfterSeconds * 1000 } : {}),
    };
  }

  return {
    readEvent: () => call<PublicEvent>('GET', ''),
    readPlace: () => call<QueueView>('GET', '/queue/me'),
    /** `proof`: the solved ALTCHA challenge, when the server asked for one. */
    join: (proof?: string) => call<QueueView>('POST', '/queue', proof ? { 'x-altcha': proof } : {}),
    readChallenge: () => call<AltchaChallenge>('GET', '/queue/challenge'),
    /** The same Idempotency-Key on every try: a double click or a retry is one claim. */
    claim: (admissionToken: string, idempotencyKey: string) =>
      call<ClaimView & { eventId: string }>('POST', '/claims', {
        'x-admission-token': admissionToken,
        'idempotency-key': idempotencyKey,
      }),
    readClaims: () => call<{ claims: ClaimView[] }>('GET', '/claims/me'),
  };
}

export type Api = ReturnType<typeof createApi>;
