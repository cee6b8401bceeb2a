import cluster, { type Worker } from 'node:cluster';
import { AppError } from '../errors.ts';

/** The few log methods the supervisor uses (a pino logger has them). */
export interface SupervisorLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface SupervisorOptions {
  /** Worker processes to keep running, each in a numbered slot (1..count). */
  count: number;
  log: SupervisorLog;
  /** What a worker is called in logs and errors. @defaultValue 'worker' */
  label?: string;
  /** The script workers run, and its arguments. @defaultValue this process's own (node:cluster's default) */
  exec?: string;
  args?: string[];
  /** The pause before a slot's worker is started again after its n-th death in a row, in ms. @defaultValue 100 ms, doubling, at most 30 s */
  restartDelayMs?: (deaths: number) => number;
  /** A worker that listened at least this long before it died starts its slot's count of deaths over. @defaultValue 30_000 */
  healthyAfterMs?: number;
  /** Hears every worker that exits, before its replacement starts. */
  onExit?: (worker: Worker) => void;
}

export interface Supervisor {
  /**
   * Resolves once the first worker of every slot listens. A worker that exits before it ever listened
   * stops the start: the others are stopped, and it rejects with that worker's reason, once.
   */
  readonly ready: Promise<void>;
  /** The workers listening now. */
  listening(): Worker[];
  /** The slot (1..count) a worker fills. */
  slotOf(worker: Worker): number | undefined;
  /** Workers started again after one died. */
  restarts(): number;
  /**
   * Sends every worker SIGTERM (each finishes what is in flight) and starts none again; resolves once all
   * have exited, true when every one exited cleanly.
   */
  stop(): Promise<boolean>;
}

interface Slot {
  index: number;
  worker?: Worker;
  listeningSinceMs?: number;
  /** Why the current worker could not start, when it said. */
  startupFailure?: string;
  deaths: number;
  lastReportedFailure?: string;
  timer?: NodeJS.Timeout;
}

const startupFailedTag = 'firstcome:startup-failed';

const defaultRestartDelayMs = (deaths: number) => Math.min(30_000, 100 * 2 ** Math.max(0, deaths - 1));

const describeExit = (code: number | null, signal: string | null) =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;

/**
 * The primary of a node:cluster: keeps `count` workers running on one shared port, none of the work
 * its own. A worker that dies is started again in its slot after a pause that doubles with each death
 * in a row, so a crash loop backs off instead of spinning.
 */
export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const { count, log, label = 'worker', healthyAfterMs = 30_000, restartDelayMs = defaultRestartDelayMs } = options;
  if (options.exec) cluster.setupPrimary({ exec: options.exec, args: options.args ?? [] });
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ index: i + 1, deaths: 0 }));
  const slotByWorker = new Map<number, Slot>();
  let restarts = 0;
  let isStarting = true;
  let stopping: Promise<boolean> | undefined;
  let allClean = true;
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Whoever awaits `ready` sees a failed start; until someone does, it is no unhandled rejection.
  ready.catch(() => undefined);

  const fork = (slot: Slot) => {
    slot.timer = undefined;
    slot.listeningSinceMs = undefined;
    slot.startupFailure = undefined;
    const worker = cluster.fork();
    slot.worker = worker;
    slotByWorker.set(worker.id, slot);
  };

  const onListening = (worker: Worker) => {
    const slot = slotByWorker.get(worker.id);
    if (!slot || slot.listeningSinceMs !== undefined) return;
    slot.listeningSinceMs = performance.now();
    slot.lastReportedFailure = undefined;
    if (isStarting && slots.every((s) => s.listeningSinceMs !== undefined)) {
      isStarting = false;
      resolveReady();
    }
  };

  const onMessage = (worker: Worker, message: unknown) => {
    const slot = slotByWorker.get(worker.id);
    if (slot && typeof message === 'object' && message !== null && startupFailedTag in message) {
      slot.startupFailure = String((message as Record<string, unknown>)[startupFailedTag]);
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const slot = slotByWorker.get(worker.id);
    if (!slot) return;
    slotByWorker.delete(worker.id);
    slot.worker = undefined;
    options.onExit?.(worker);
    const pid = worker.process.pid;
    if (stopping) {
      if (code !== 0 && signal !== 'SIGTERM') allClean = false;
      return;
    }
    const reason = slot.startupFailure ?? describeExit(code, signal);
    if (slot.listeningSinceMs === undefined && isStarting) {
      // The start failed: report it once, whatever the other workers do meanwhile.
      isStarting = false;
      void stop().then(() =>
        rejectReady(new AppError('PROCESS_START_FAILED', `${label} ${slot.index} could not start: ${reason}`)),
      );
      return;
    }
    const wasHealthy =
      slot.listeningSinceMs !== undefined && performance.now() - slot.listeningSinceMs >= healthyAfterMs;
    slot.deaths = wasHealthy ? 1 : slot.deaths + 1;
    const delayMs = restartDelayMs(slot.deaths);
    restarts++;
    if (slot.listeningSinceMs !== undefined) {
      log.warn(
        { slot: slot.index, workerPid: pid, code, signal, restartInMs: delayMs },
        `${label} ${slot.index} ${describeExit(code, signal)}; starting it again`,
      );
    } else if (reason !== slot.lastReportedFailure) {
      // A replacement that cannot start (a datastore down) is said once until the message changes.
      slot.lastReportedFailure = reason;
      log.warn(
        { slot: slot.index, workerPid: pid, restartInMs: delayMs },
        `${label} ${slot.index} could not start: ${reason}; trying again`,
      );
    }
    slot.timer = setTimeout(() => fork(slot), delayMs);
  };

  function stop(): Promise<boolean> {
    stopping ??= new Promise<void>((resolve) => {
      for (const slot of slots) clearTimeout(slot.timer);
      const live = slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
      let left = live.length;
      if (left === 0) resolve();
      for (const worker of live) {
        // A worker's own 'exit' comes just before the cluster's, which onExit judges: read allClean after both.
        worker.once('exit', () => {
          if (--left === 0) resolve();
        });
        worker.process.kill('SIGTERM');
      }
    }).then(() => {
      cluster.off('listening', onListening);
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      return allClean;
    });
    return stopping;
  }

  cluster.on('listening', onListening);
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  slots.forEach(fork);
  log.info({ count }, `starting ${label} 1 to ${count}`);

  return {
    ready,
    listening: () => slots.flatMap((slot) => (slot.worker && slot.listeningSinceMs !== undefined ? [slot.worker] : [])),
    slotOf: (worker) => slotByWorker.get(worker.id)?.index,
    restarts: () => restarts,
    stop,
  };
}

/**
 * A worker's half: runs `start`, which resolves with the function that stops what it started, once the
 * worker listens. SIGTERM (the primary's stop) runs that function and exits 0; a second one exits at once.
 * A `start` that throws is told to the primary, which reports it once for all workers, and the worker
 * exits 1 without a word of its own.
 */
export function runClusterWorker(
  start: () => Promise<() => Promise<void>>,
  onStopFailed: (error: unknown) => void,
): void {
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  // Ctrl-C reaches every process of the terminal's group; the primary passes it on as SIGTERM, so a
  // worker waits for that one instead of taking two signals as "exit at once".
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => {
    if (stopping || !stop) process.exit(stopping ? 1 : 0);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        onStopFailed(error);
        process.exit(1);
      },
    );
  });
  start().then(
    (started) => {
      stop = started;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!process.send || !process.connected) {
        process.stderr.write(`${message}\n`);
        process.exit(1);
      }
      process.send({ [startupFailedTag]: message }, undefined, undefined, () => process.exit(1));
    },
  );
}
