import { setTimeout as sleep } from 'node:timers/promises';
import { shuffle, substream } from './prng.ts';

/** What one HTTP request of a claim got: an answer, or a network error (then the answer, if any, was lost). */
export interface RequestRecord {
  server: number;
  atMs: number;
  ms: number;
  status: number | null;
  /** The `error` field of an error body. */
  code?: string;
  claimId?: string;
  userId?: string;
  retryAfter?: string | null;
  /** The network error (refused, reset, timeout) when there was no answer. */
  error?: string;
}

/** One logical claim attempt of a user: one Idempotency-Key, one or more requests. */
export interface ClaimRecord {
  index: number;
  userId: string;
  key: string;
  requests: RequestRecord[];
  /** How it ended: the last answer, or `gave_up` after its retries on 503 / network errors ran out. */
  final: 'admitted' | 'refused' | 'gave_up' | 'other' | 'aborted';
}

export interface LoadOptions {
  baseUrls: string[];
  eventId: string;
  claims: number;
  attemptsPerUser: number;
  /** The claims are started evenly over this window. */
  windowMs: number;
  seed: number;
  runId: string;
  lanes?: number;
  requestTimeoutMs?: number;
  /** A claim stops retrying after this many requests or this long since its first. */
  maxRequestsPerClaim?: number;
  retryBudgetMs?: number;
  signal: AbortSignal;
  sinceStart: () => number;
  /** Told of every request's outcome as it comes (for live figures). */
  onAnswer?: (answer: RequestRecord) => void;
}

const retryable = (r: RequestRecord) => r.status === null || r.status === 503;

const networkErrorOf = (error: unknown): string => {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
};

/**
 * The users' claims as a real client sends them: `claims` logical claims (`attemptsPerUser` per user, in a
 * seeded order), started evenly over the window from `lanes` concurrent lanes, each with a unique
 * Idempotency-Key that its retries reuse. A 503 or a network error is retried (Retry-After honoured, else
 * exponential backoff), on the other API process, as a load balancer would; anything else ends the claim.
 */
export async function runLoad(options: LoadOptions): Promise<ClaimRecord[]> {
  const {
    baseUrls,
    eventId,
    claims,
    attemptsPerUser,
    windowMs,
    signal,
    lanes = 128,
    requestTimeoutMs = 10_000,
    maxRequestsPerClaim = 20,
    retryBudgetMs = 60_000,
  } = options;
  const random = substream(options.seed, 2);
  const order = shuffle(
    random,
    Array.from({ length: claims }, (_, i) => i),
  );
  const records: ClaimRecord[] = order.map((i, position) => ({
    index: position,
    userId: `chaos-user-${Math.floor(i / attemptsPerUser)}`,
    key: `${options.runId}-${i}`,
    requests: [],
    final: 'aborted',
  }));
  const spacingMs = windowMs / Math.max(1, claims);
  const startedAt = Date.now();
  let next = 0;

  const send = async (record: ClaimRecord, server: number): Promise<RequestRecord> => {
    const atMs = options.sinceStart();
    const t0 = performance.now();
    try {
      const response = await fetch(`${baseUrls[server]}/events/${eventId}/claims`, {
        method: 'POST',
        headers: { 'x-user-id': record.userId, 'idempotency-key': record.key },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await response.text();
      let body: { error?: unknown; claimId?: unknown; userId?: unknown } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Not JSON: the checks count it by status alone.
      }
      return {
        server,
        atMs,
        ms: performance.now() - t0,
        status: response.status,
        ...(typeof body.error === 'string' ? { code: body.error } : {}),
        ...(typeof body.claimId === 'string' ? { claimId: body.claimId } : {}),
        ...(typeof body.userId === 'string' ? { userId: body.userId } : {}),
        ...(response.status === 503 || response.status === 429
          ? { retryAfter: response.headers.get('retry-after') }
          : {}),
      };
    } catch (error) {
      return { server, atMs, ms: performance.now() - t0, status: null, error: networkErrorOf(error) };
    }
  };

  const runClaim = async (record: ClaimRecord) => {
    const firstAt = Date.now();
    let server = record.index % baseUrls.length;
    for (let attempt = 1; ; attempt++) {
      const answer = await send(record, server);
      record.requests.push(answer);
      options.onAnswer?.(answer);
      if (!retryable(answer)) {
        record.final = answer.status === 202 ? 'admitted' : answer.status === 409 ? 'refused' : 'other';
        return;
      }
      if (signal.aborted) return;
      if (attempt >= maxRequestsPerClaim || Date.now() - firstAt >= retryBudgetMs) {
        record.final = 'gave_up';
        return;
      }
      const retryAfterMs = Number(answer.retryAfter) * 1000;
      const backoffMs = Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, 3000) : backoffMs);
      server = (server + 1) % baseUrls.length;
    }
  };

  const lane = async () => {
    while (next < records.length && !signal.aborted) {
      const record = records[next]!;
      const dueAt = startedAt + next * spacingMs;
      next++;
      const wait = dueAt - Date.now();
      if (wait > 0) await sleep(wait);
      if (signal.aborted) return;
      await runClaim(record);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return records;
}
