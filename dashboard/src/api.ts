/** The admin API as the page uses it; the token goes in the Authorization header only. */
import type { adminEventView } from '@server/api/event-views.ts';
import type { CreateEventBody } from '@server/api/routes/admin.ts';

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
  };
}

export type Api = ReturnType<typeof createApi>;
