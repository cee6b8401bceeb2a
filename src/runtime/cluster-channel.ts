import cluster, { type Worker } from 'node:cluster';

/**
 * Requests and answers between a node:cluster primary and its workers, over the IPC channel the cluster
 * opens. Each side lists the requests it answers as an object of functions (one argument at most); the
 * other side asks by name. Arguments and answers travel as JSON, the channel's serialization.
 */
export type Answerers<T> = { [K in keyof T]: (argument: never) => unknown };

type ArgumentOf<F> = F extends () => unknown ? [] : F extends (argument: infer A) => unknown ? [A] : never;
type AnswerOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

const tag = 'firstcome:ask';

interface AskMessage {
  [tag]: 'ask';
  id: number;
  kind: string;
  argument: unknown;
}

interface AnswerMessage {
  [tag]: 'answer';
  id: number;
  value?: unknown;
  error?: string;
}

const isMessage = <K extends 'ask' | 'answer'>(
  message: unknown,
  kind: K,
): message is K extends 'ask' ? AskMessage : AnswerMessage =>
  typeof message === 'object' && message !== null && (message as Record<string, unknown>)[tag] === kind;

type Send = (message: AskMessage | AnswerMessage, done: (error: Error | null) => void) => void;

async function answer(answerers: object, ask: AskMessage, send: Send): Promise<void> {
  const reply: AnswerMessage = { [tag]: 'answer', id: ask.id };
  try {
    const answerer = (answerers as Record<string, ((argument: unknown) => unknown) | undefined>)[ask.kind];
    if (typeof answerer !== 'function') throw new Error(`no answer for "${ask.kind}" here`);
    reply.value = await answerer.call(answerers, ask.argument);
  } catch (error) {
    reply.error = error instanceof Error ? error.message : String(error);
  }
  // The asker may be gone by now; it has given up on the answer then.
  send(reply, () => undefined);
}

/** Asks in flight: each settles with its answer, or fails on a timeout or when its target goes away. */
function createAsks(timeoutMs: number) {
  interface Pending {
    target: number;
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout;
  }
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const fail = (id: number, error: Error) => {
    const ask = pending.get(id);
    if (!ask) return;
    pending.delete(id);
    clearTimeout(ask.timer);
    ask.reject(error);
  };
  return {
    ask(send: Send, target: number, kind: string, argument: unknown): Promise<unknown> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(id, new Error(`no answer to "${kind}" within ${timeoutMs} ms`)), timeoutMs);
        pending.set(id, { target, resolve, reject, timer });
        send({ [tag]: 'ask', id, kind, argument }, (error) => {
          if (error) fail(id, error);
        });
      });
    },
    settle(message: AnswerMessage): void {
      const ask = pending.get(message.id);
      if (!ask) return;
      pending.delete(message.id);
      clearTimeout(ask.timer);
      if (message.error === undefined) ask.resolve(message.value);
      else ask.reject(new Error(message.error));
    },
    /** Fails every ask of `target` (every ask, without one). */
    failAll(error: Error, target?: number): void {
      for (const [id, ask] of pending) if (target === undefined || ask.target === target) fail(id, error);
    },
  };
}

export interface PrimaryChannel<Primary> {
  ask<K extends keyof Primary & string>(kind: K, ...argument: ArgumentOf<Primary[K]>): Promise<AnswerOf<Primary[K]>>;
  /** Stops answering and fails the asks in flight. */
  close(): void;
}

/**
 * A worker's side: answers the primary with `answerers`, and asks the primary what `Primary` lists. An ask
 * fails after `timeoutMs`, or at once when there is no primary (the process is no cluster worker, or
 * the primary is gone).
 */
export function connectToPrimary<Primary extends Answerers<Primary>, Local extends Answerers<Local>>(
  answerers: Local,
  { timeoutMs = 5000 } = {},
): PrimaryChannel<Primary> {
  const asks = createAsks(timeoutMs);
  const send: Send = (message, done) => {
    if (!process.send || !process.connected) {
      done(new Error('this process has no primary to ask'));
      return;
    }
    process.send(message, undefined, undefined, done);
  };
  const onMessage = (message: unknown) => {
    if (isMessage(message, 'ask')) void answer(answerers, message, send);
    else if (isMessage(message, 'answer')) asks.settle(message);
  };
  const onDisconnect = () => asks.failAll(new Error('the primary process is gone'));
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);
  return {
    ask: (kind, ...argument) => asks.ask(send, 0, kind, argument[0]) as Promise<never>,
    close() {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      asks.failAll(new Error('the channel to the primary is closed'));
    },
  };
}

/** One worker's answer to an ask of `askAll`, or why it has none. */
export type WorkerAnswer<T> = { worker: Worker; value: T } | { worker: Worker; error: Error };

export interface WorkersChannel<Workers> {
  /** Asks each of `workers` at once; every one's answer, or the error why it has none (timed out, exited). */
  askAll<K extends keyof Workers & string>(
    workers: Worker[],
    kind: K,
    ...argument: ArgumentOf<Workers[K]>
  ): Promise<Array<WorkerAnswer<AnswerOf<Workers[K]>>>>;
  close(): void;
}

/** The primary's side: answers workers with `answerers`, and asks them what `Workers` lists. */
export function connectToWorkers<Workers extends Answerers<Workers>, Local extends Answerers<Local>>(
  answerers: Local,
  { timeoutMs = 2000 } = {},
): WorkersChannel<Workers> {
  const asks = createAsks(timeoutMs);
  const sendTo =
    (worker: Worker): Send =>
    (message, done) => {
      if (!worker.isConnected()) {
        done(new Error(`worker ${worker.id} is not connected`));
        return;
      }
      worker.send(message, undefined, undefined, done);
    };
  const onMessage = (worker: Worker, message: unknown) => {
    if (isMessage(message, 'ask')) void answer(answerers, message, sendTo(worker));
    else if (isMessage(message, 'answer')) asks.settle(message);
  };
  const onExit = (worker: Worker) => asks.failAll(new Error(`worker ${worker.id} exited`), worker.id);
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return {
    askAll: (workers, kind, ...argument) =>
      Promise.all(
        workers.map((worker) =>
          asks.ask(sendTo(worker), worker.id, kind, argument[0]).then(
            (value) => ({ worker, value }) as WorkerAnswer<never>,
            (error: Error) => ({ worker, error }),
          ),
        ),
      ),
    close() {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
      asks.failAll(new Error('the channel to the workers is closed'));
    },
  };
}
