import type { adminEventView } from '../../api/event-views.ts';
import type { CreateEventBody } from '../../api/routes/admin.ts';

/** A failure the operator should read as one line (the API said no, or is not there): no stack trace. */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

/** What the admin API answers for an event, as JSON. */
export type AdminEventView = ReturnType<typeof adminEventView>;

export type NewEventBody = CreateEventBody;

/**
 * The admin HTTP API, as the operator CLI uses it. Creating and closing an event must also reach the
 * gate and every API process's sold-out memory, which the API does; going through it keeps one code
 * path for the dashboard, curl and the CLI, and needs no more than the URL and the token.
 */
export function createAdminClient(baseUrl: string, token: string | undefined) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    if (!token) throw new OperatorError('ADMIN_TOKEN is not set: export the admin token the API was started with.');
    const url = new URL(path, baseUrl);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new OperatorError(`cannot reach the API at ${baseUrl} (${cause}); is it running? set FIRSTCOME_URL`);
    }
    const text = await response.text();
    const answer = (text ? JSON.parse(text) : {}) as T & { error?: string; message?: string };
    if (!response.ok) {
      throw new OperatorError(`${response.status} ${answer.error ?? ''}: ${answer.message ?? text}`.trim());
    }
    return answer;
  }

  const eventPath = (id: string) => `/admin/events/${encodeURIComponent(id)}`;
  return {
    listEvents: async () => (await call<{ events: AdminEventView[] }>('GET', '/admin/events')).events,
    showEvent: (id: string) => call<AdminEventView>('GET', eventPath(id)),
    createEvent: (body: NewEventBody) => call<AdminEventView>('POST', '/admin/events', body),
    closeEvent: (id: string) => call<AdminEventView>('POST', `${eventPath(id)}/close`),
  };
}

export type AdminClient = ReturnType<typeof createAdminClient>;
