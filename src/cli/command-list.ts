import type { CommandEntry } from './command.ts';

/** Every `firstcome` command, in the order `firstcome --help` lists them. */
export const commands: Record<string, CommandEntry> = {
  start: {
    summary: 'everything in one process for one machine: API, relay, worker, retry job',
    load: async () => (await import('./commands/roles.ts')).start,
  },
  serve: {
    summary: 'the HTTP API alone [--workers N]',
    load: async () => (await import('./commands/serve.ts')).serve,
  },
  relay: {
    summary: "moves admitted claims from the gate's outbox streams to Kafka",
    load: async () => (await import('./commands/roles.ts')).relay,
  },
  worker: {
    summary: 'writes claims from Kafka to the database as coupons, in batches',
    load: async () => (await import('./commands/roles.ts')).worker,
  },
  migrate: {
    summary: 'create or update the database schema, then exit',
    load: async () => (await import('./commands/roles.ts')).migrate,
  },
  retry: {
    summary: 'one pass of the failed-claim retry job, then exit',
    load: async () => (await import('./commands/roles.ts')).retry,
  },
  reconcile: {
    summary: 'compare the gate with the database per event, print the drift [--event ID] [--repair]',
    load: async () => (await import('./commands/reconcile.ts')).reconcile,
  },
  bench: {
    summary: 'the spike benchmark: firstcome against the designs people use today',
    load: async () => (await import('./commands/bench.ts')).bench,
  },
  plan: {
    summary: 'the processes and nodes a drop needs: --peak-claims-per-sec R --stock S',
    load: async () => (await import('./commands/plan.ts')).plan,
  },
  events: {
    summary: 'operator commands through the admin API: list, show, create, close',
    load: async () => (await import('./commands/events.ts')).events,
  },
  keys: {
    summary: 'print a fresh ADMISSION_KEYS value (signing keys of admission tokens) [--rotate]',
    load: async () => (await import('./commands/keys.ts')).keys,
  },
  failed: {
    summary: 'failed claims in the database: list, retry',
    load: async () => (await import('./commands/failed.ts')).failed,
  },
};
