/** The admin API as the page uses it; the token goes in the Authorization header only. */
import type { adminEventView } from '@server/api/event-views.ts';
import type { CreateEventBody } from '@server/api/routes/admin.ts';
import type { FigureHistory } from '@server/api/figure-history.ts';
import type { FailedClaimRow } from '@server/store/store.ts';

export type { FigureHistory };

/** A failed claim as the admin API answers it, in JSON (dates as ISO strings). */
export type FailedClaim = Omit<FailedClaimRow, 'nextAttemptAt' | 'createdAt' | 'updatedAt'> & {
  nextAttemptAt: string;
  createdAt: string;
  updatedAt: string;
};

/** An event as the admin API answers it, in JSON. */
export type AdminEvent = ReturnType<typeof adminEventView>;

export type NewEvent = CreateEventBody;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const errorOf = async (response: Response): Promise<ApiError> => {
  const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  return new ApiError(response.status, body.error ?? 'http_error', body.message ?? `HTTP ${response.status}`);
};

export function createApi(token: string) {
  const headers = { authorization: `Bearer ${token}` };

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  return {
    token,
    listEvents: async () => (await call<{ events: AdminEvent[] }>('GET', '/admin/events')).events,
    createEvent: (event: NewEvent) => call<AdminEvent>('POST', '/admin/events', event),
    closeEvent: (id: string) => call<AdminEvent>('POST', `/admin/events/${encodeURIComponent(id)}/close`),
    /** The last hour of the event's figures, sampled by the server: what a reload starts from. */
    readHistory: (id: string) => call<FigureHistory>('GET', `/admin/events/${encodeURIComponent(id)}/history`),
    listFailedClaims: (id: string) =>
      call<{ claims: FailedClaim[] }>('GET', `/admin/events/${encodeURIComponent(id)}/failed-claims`),
    /** Makes the event's waiting failed claims due now; the retry job takes them at its next pass. */
    retryFailedClaims: (id: string) =>
      call<{ due: number }>('POST', `/admin/events/${encodeURIComponent(id)}/failed-claims/retry`),
  };
}

export type Api = ReturnType<typeof createApi>;
