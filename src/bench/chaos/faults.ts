import { setTimeout as sleep } from 'node:timers/promises';
import { describeFault, type PlannedFault, type RoleName } from './plan.ts';
import type { RoleSlot } from './roles.ts';
import type { PersistentRedis, PrivateKafka, TcpProxy } from './services.ts';

export interface FaultRecord extends PlannedFault {
  startedAtMs: number;
  endedAtMs: number;
  /** 'done', or why it was skipped or went wrong. */
  outcome: string;
}

export interface FaultTargets {
  slots: Map<RoleName, RoleSlot>;
  redis: PersistentRedis;
  kafka: PrivateKafka;
  postgresProxy: TcpProxy;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Sleeps, but wakes early when the run is being stopped (the recovery after it still runs). */
const hold = (ms: number, signal: AbortSignal) => sleep(Math.max(0, ms), undefined, { signal }).catch(() => undefined);

/**
 * Runs the plan: each fault at its planned time (or as soon as the one before it has recovered, and then
 * it says how late), until the window closes. Every fault undoes itself before the next starts (a
 * restarted process, SIGCONT, the proxy listening again), except a Kafka restart, which runs beside the
 * others (one at a time: a Kafka restart due while one is under way is skipped, and says so); the
 * returned promise waits for it too.
 */
export async function injectFaults(options: {
  plan: PlannedFault[];
  windowMs: number;
  targets: FaultTargets;
  signal: AbortSignal;
  sinceStart: () => number;
  log: (line: string) => void;
}): Promise<FaultRecord[]> {
  const { plan, windowMs, targets, signal, sinceStart, log } = options;
  const records: FaultRecord[] = [];
  let kafkaRestart: Promise<void> | undefined;
  let kafkaRestarting = false;

  const execute = async (fault: PlannedFault, record: FaultRecord): Promise<void> => {
    switch (fault.kind) {
      case 'kill': {
        const slot = targets.slots.get(fault.target as RoleName)!;
        if (!slot.isRunning()) {
          record.outcome = 'skipped: not running';
          return;
        }
        const pid = slot.pid();
        await slot.kill();
        await hold(fault.holdMs, signal);
        slot.start();
        if (slot.port) {
          const ready = await slot.waitReady(30_000);
          record.outcome = ready
            ? `done (pid ${pid} killed, answers again)`
            : 'restarted, but /healthz not 200 within 30 s';
        } else {
          record.outcome = `done (pid ${pid} killed, restarted)`;
        }
        return;
      }
      case 'pause': {
        const target = fault.target === 'redis' ? targets.redis : targets.slots.get(fault.target as RoleName)!;
        const pid = target.pid();
        if (pid === undefined) {
          record.outcome = 'skipped: not running';
          return;
        }
        target.signal('SIGSTOP');
        try {
          await hold(fault.holdMs, signal);
        } finally {
          target.signal('SIGCONT');
        }
        record.outcome = `done (pid ${pid})`;
        return;
      }
      case 'db-cut': {
        await targets.postgresProxy.cut();
        try {
          await hold(fault.holdMs, signal);
        } finally {
          await targets.postgresProxy.restore();
        }
        record.outcome = 'done';
        return;
      }
      case 'redis-restart': {
        const { graceful } = await targets.redis.shutdown();
        const aofMb = ((await targets.redis.aofBytes()) / 1e6).toFixed(1);
        let startMs = 0;
        try {
          await hold(fault.holdMs, signal);
        } finally {
          const t0 = Date.now();
          await targets.redis.start();
          startMs = Date.now() - t0;
        }
        record.outcome = `${graceful ? 'done (SHUTDOWN' : 'SHUTDOWN hung: killed after 15 s'}, AOF ${aofMb} MB loaded, answering again after ${seconds(startMs)})`;
        return;
      }
      case 'kafka-restart': {
        // A broker takes tens of seconds to come back here; one restart at a time, and the schedule goes on.
        if (kafkaRestarting) {
          record.outcome = 'skipped: the previous Kafka restart is still under way';
          return;
        }
        kafkaRestarting = true;
        kafkaRestart = (async () => {
          try {
            await targets.kafka.stop();
            await hold(fault.holdMs, signal);
          } finally {
            await targets.kafka.start();
          }
          record.endedAtMs = sinceStart();
          record.outcome = `done (broker back after ${seconds(record.endedAtMs - record.startedAtMs)})`;
          log(`[+${seconds(record.endedAtMs)}] fault #${fault.index} ${fault.kind}: Kafka serves clients again`);
        })()
          .catch((error: unknown) => {
            record.endedAtMs = sinceStart();
            record.outcome = `error: ${error instanceof Error ? error.message : String(error)}`;
            log(`[+${seconds(record.endedAtMs)}] fault #${fault.index} ${fault.kind}: ${record.outcome}`);
          })
          .finally(() => {
            kafkaRestarting = false;
          });
        record.outcome = 'running in the background';
        return;
      }
    }
  };

  try {
    for (const fault of plan) {
      if (signal.aborted || sinceStart() >= windowMs) break;
      await hold(Math.max(0, fault.atMs - sinceStart()), signal);
      if (signal.aborted) break;
      const startedAtMs = sinceStart();
      const record: FaultRecord = { ...fault, startedAtMs, endedAtMs: startedAtMs, outcome: '' };
      records.push(record);
      const late = startedAtMs - fault.atMs > 250 ? ` (planned +${seconds(fault.atMs)})` : '';
      log(`[+${seconds(startedAtMs)}] fault #${fault.index} ${describeFault(fault)}${late}`);
      try {
        await execute(fault, record);
      } catch (error) {
        record.outcome = `error: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (fault.kind !== 'kafka-restart') record.endedAtMs = sinceStart();
      log(`[+${seconds(sinceStart())}] fault #${fault.index} ${fault.kind} ${fault.target}: ${record.outcome}`);
    }
  } finally {
    await kafkaRestart;
  }
  return records;
}
