import { performance } from 'node:perf_hooks';
import { openHttpConnection, type HttpAnswer } from './http-connection.ts';
import { summarizeLatencies, type LatencySummary } from './latency.ts';
import { buildAttemptOrder, userIdOf } from './scenario.ts';

export interface LoadJob {
  origin: string;
  eventId: string;
  users: number;
  attempts: number;
  connections: number;
  seed: number;
  /** Stop sending new claims after this long; claims in flight still finish. */
  maxSeconds: number;
  userIdHeader: string;
  /** Keep the claim id and user of every 202, to find admitted claims missing from the database. */
  collectAdmissions: boolean;
}

export interface LoadProgress {
  sent: number;
  completed: number;
  admitted: number;
  planned: number;
  elapsedSeconds: number;
}

export interface PhaseSummary {
  requests: number;
  seconds: number;
  requestsPerSec: number;
  latencyMs: LatencySummary;
}

export interface LoadResult {
  planned: number;
  completed: number;
  /** Wall-clock time the first claim was sent, to line up with the database's issued_at. */
  startedAtEpochMs: number;
  /** True when maxSeconds cut the scenario short. */
  truncated: boolean;
  seconds: number;
  requestsPerSec: number;
  latencyMs: LatencySummary;
  /** `202`, `409 sold_out`, `409 limit_reached`, `503 unavailable`, `error` (no HTTP answer), … */
  outcomes: Record<string, number>;
  admitted: number;
  /** When the last 202 arrived, seconds after the first claim was sent; null if nothing was admitted. */
  lastAdmissionSeconds: number | null;
  /** Claims sent after the last 202: the flood that meets a sold-out event. */
  tail: PhaseSummary;
  admittedClaimIds: string[];
  admittedUserIds: string[];
  generatorCpuSeconds: number;
}

const decodeBody = (body: Buffer | undefined): { claimId?: unknown; error?: unknown } => {
  try {
    return JSON.parse(body?.toString('utf8') ?? '') as { claimId?: unknown; error?: unknown };
  } catch {
    return {};
  }
};

/**
 * Sends the scenario's claims through `connections` keep-alive connections, each with one claim in
 * flight (a closed loop, as browsers behind a gateway behave), and records every answer.
 */
export async function runLoad(job: LoadJob, onProgress: (progress: LoadProgress) => void): Promise<LoadResult> {
  const order = buildAttemptOrder(job.users, job.attempts, job.seed);
  const planned = order.length;
  const startedMs = new Float64Array(planned);
  const latencyMs = new Float64Array(planned);
  const outcomes: Record<string, number> = {};
  const admittedClaimIds: string[] = [];
  const admittedUserIds: string[] = [];
  let admitted = 0;
  let lastAdmissionMs = -1;
  let sent = 0;
  let completed = 0;

  const origin = new URL(job.origin);
  const host = origin.hostname;
  const port = Number(origin.port);
  const head = `POST /events/${encodeURIComponent(job.eventId)}/claims HTTP/1.1\r\nhost: ${origin.host}\r\ncontent-length: 0\r\n${job.userIdHeader}: `;
  const requestOf = (index: number) => Buffer.from(`${head}${userIdOf(order[index] as number)}\r\n\r\n`, 'latin1');
  const cpuBefore = process.cpuUsage();
  const startedAtEpochMs = Date.now();
  const t0 = performance.now();
  const deadline = t0 + job.maxSeconds * 1000;
  const progressTimer = setInterval(
    () => onProgress({ sent, completed, admitted, planned, elapsedSeconds: (performance.now() - t0) / 1000 }),
    250,
  );

  const record = (index: number, { status, body }: HttpAnswer) => {
    const now = performance.now();
    latencyMs[index] = now - t0 - (startedMs[index] as number);
    completed += 1;
    let outcome = status === 0 ? 'error' : String(status);
    if (status === 202) {
      admitted += 1;
      lastAdmissionMs = Math.max(lastAdmissionMs, now - t0);
      if (job.collectAdmissions) {
        const { claimId } = decodeBody(body);
        if (typeof claimId === 'string') admittedClaimIds.push(claimId);
        admittedUserIds.push(userIdOf(order[index] as number));
      }
    } else if (status >= 400) {
      const { error } = decodeBody(body);
      if (typeof error === 'string') outcome = `${status} ${error}`;
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };

  const connection = () =>
    new Promise<void>((resolve) => {
      const http = openHttpConnection(host, port);
      const next = () => {
        if (sent >= planned || performance.now() > deadline) {
          http.close();
          return resolve();
        }
        const index = sent++;
        startedMs[index] = performance.now() - t0;
        http.send(requestOf(index), (answer) => {
          record(index, answer);
          next();
        });
      };
      next();
    });
  await Promise.all(Array.from({ length: job.connections }, connection));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(progressTimer);
  onProgress({ sent, completed, admitted, planned, elapsedSeconds: seconds });
  const cpu = process.cpuUsage(cpuBefore);

  const done = latencyMs.subarray(0, completed);
  const tailLatencies: number[] = [];
  let tailStartMs = Infinity;
  if (lastAdmissionMs >= 0) {
    for (let i = 0; i < sent; i++) {
      if ((startedMs[i] as number) > lastAdmissionMs) {
        tailLatencies.push(latencyMs[i] as number);
        tailStartMs = Math.min(tailStartMs, startedMs[i] as number);
      }
    }
  }
  const tailSeconds = tailLatencies.length > 0 ? seconds - tailStartMs / 1000 : 0;
  return {
    planned,
    completed,
    startedAtEpochMs,
    truncated: sent < planned,
    seconds,
    requestsPerSec: completed / seconds,
    latencyMs: summarizeLatencies(done),
    outcomes,
    admitted,
    lastAdmissionSeconds: lastAdmissionMs >= 0 ? lastAdmissionMs / 1000 : null,
    tail: {
      requests: tailLatencies.length,
      seconds: tailSeconds,
      requestsPerSec: tailSeconds > 0 ? tailLatencies.length / tailSeconds : 0,
      latencyMs: summarizeLatencies(tailLatencies),
    },
    admittedClaimIds,
    admittedUserIds,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
