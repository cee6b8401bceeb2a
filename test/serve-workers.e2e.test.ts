import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, freePort, randomId, waitFor } from './fixtures/basics.ts';
import { startPrivateRedis, useDatabase } from './fixtures/datastores.ts';
import { type FirstcomeProcess, spawnFirstcome } from './fixtures/processes.ts';

/** The processes a process started and that are alive (Linux lists them in /proc). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The value of one series of a Prometheus text (`name` with its labels, as printed). */
const sampleOf = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** The sum of every series of a metric. */
const sumOf = (text: string, name: string): number =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

describe('firstcome serve --workers 2', () => {
  const t = useDatabase();
  let redis: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
  let serve: FirstcomeProcess | undefined;
  let baseUrl = '';
  let firstEventId = '';

  /**
   * One request on a connection of its own: the primary hands each new connection to the next API
   * process in turn, so requests like these reach both processes.
   */
  const send = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = request(`${baseUrl}${path}`, { method, headers, agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      // A connection the primary had handed to a process that was killed that instant gets no answer.
      outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`${method} ${path}: no answer`)));
      outgoing.on('error', reject);
      outgoing.end();
    });

  const readMetrics = async () => {
    const { status, body } = await send('GET', '/metrics');
    if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
    return body;
  };

  const createEvent = async (stock: number) => {
    const id = randomId('ev');
    const response = await fetch(`${baseUrl}/admin/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, name: 'many processes', stock }),
    });
    expect(response.status).toBe(201);
    return id;
  };

  /** `count` claims by distinct users, 16 at a time; the statuses, counted. */
  const claimMany = async (eventId: string, count: number) => {
    const statuses: Record<number, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const userId = `user-${next++}`;
          const { status } = await send('POST', `/events/${eventId}/claims`, { 'x-user-id': userId });
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    return statuses;
  };

  /** The first frame of the dashboard's stream of an event, from whichever process the connection reaches. */
  const firstFigures = async (eventId: string) => {
    const stopped = new AbortController();
    const response = await fetch(`${baseUrl}/admin/stream/events/${eventId}`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: stopped.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before a figures frame: ${text}`);
        text += value;
        const frame = /event: figures\ndata: (.*)\n\n/.exec(text);
        if (frame) return JSON.parse(frame[1]!) as { answered: Record<string, number> };
      }
    } finally {
      stopped.abort();
    }
  };

  const start = (env: Record<string, string>) => {
    serve = spawnFirstcome(['serve', '--workers', '2'], { REDIS_URL: redis!.url, ...env });
    return serve;
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await serve?.kill('SIGKILL');
    await redis?.stop();
  });

  it('says once why it could not start, and exits 1, when its processes cannot reach the database', async () => {
    const proc = start({
      PORT: String(await freePort()),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none`,
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output().match(/could not start/g)).toHaveLength(1);
    expect(proc.output()).toMatch(/^firstcome serve: API process [12] could not start: PostgreSQL did not answer/m);
  });

  it('answers on one port from both processes; /metrics and the dashboard count the claims of both', async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const proc = start({ PORT: String(port), DATABASE_URL: t.url });
    await waitFor('both API processes to answer the primary', async () => {
      if (proc.child.exitCode !== null) throw new Error(`serve exited: ${proc.output()}`);
      return sampleOf(await readMetrics(), 'firstcome_api_processes') === 2;
    });
    expect(childrenOf(proc.child.pid!)).toHaveLength(2);

    const eventId = await createEvent(150);
    firstEventId = eventId;
    expect(await claimMany(eventId, 400)).toEqual({ 202: 150, 409: 250 });

    const metrics = await readMetrics();
    expect(sampleOf(metrics, 'firstcome_claims_total{outcome="admitted"}')).toBe(150);
    expect(sampleOf(metrics, 'firstcome_claims_total{outcome="sold_out"}')).toBe(250);
    expect(sumOf(metrics, 'firstcome_claims_total')).toBe(400);
    const byProcess = [1, 2].map((slot) => sampleOf(metrics, `firstcome_api_process_claims_total{process="${slot}"}`));
    expect(byProcess.every((claims) => claims !== undefined && claims > 0)).toBe(true);
    expect(byProcess[0]! + byProcess[1]!).toBe(400);

    // The stream lives in one process; the answers it shows are both processes'.
    const { answered } = await firstFigures(eventId);
    expect(answered).toMatchObject({ admitted: 150, sold_out: 250 });
  });

  it('starts a killed process again while the other answers, and keeps what the killed one counted', async () => {
    const primary = serve!.child.pid!;
    const [victim, survivor] = childrenOf(primary);
    // The primary keeps each process's counts as of the last /metrics; nothing was answered since.
    expect(sumOf(await readMetrics(), 'firstcome_claims_total')).toBe(400);
    process.kill(victim!, 'SIGKILL');

    await waitFor('the primary to see the process die', async () => {
      const metrics = await readMetrics();
      return sampleOf(metrics, 'firstcome_api_process_restarts_total') === 1;
    });
    for (let i = 0; i < 10; i++) expect((await send('GET', '/healthz')).status).toBe(200);
    await waitFor('a new process in the place of the killed one', async () => {
      const children = childrenOf(primary);
      return (
        children.length === 2 &&
        !children.includes(victim!) &&
        children.includes(survivor!) &&
        sampleOf(await readMetrics(), 'firstcome_api_processes') === 2
      );
    });

    const eventId = await createEvent(50);
    expect(await claimMany(eventId, 200)).toEqual({ 202: 50, 409: 150 });
    const metrics = await readMetrics();
    expect(sumOf(metrics, 'firstcome_claims_total')).toBe(600);
    for (const slot of [1, 2]) {
      expect(sampleOf(metrics, `firstcome_api_process_claims_total{process="${slot}"}`)).toBeGreaterThan(0);
    }
    // The dashboard's counts of the first event keep the killed process's answers too.
    expect((await firstFigures(firstEventId)).answered).toMatchObject({ admitted: 150, sold_out: 250 });
  });

  it('stops every process on SIGTERM and exits 0', async () => {
    const proc = serve!;
    const children = childrenOf(proc.child.pid!);
    expect(children).toHaveLength(2);
    await proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
  });
});
