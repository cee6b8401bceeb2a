import { connect, type Socket } from 'node:net';

export interface HttpAnswer {
  /** 0 when the connection failed before an answer. */
  status: number;
  body: Buffer | undefined;
}

const headerEnd = Buffer.from('\r\n\r\n');
const contentLength = /\r\ncontent-length:[ \t]*(\d+)/i;

/**
 * One keep-alive HTTP/1.1 connection with one request in flight: a minimal client (requests are
 * pre-encoded bytes, answers framed by Content-Length) so the generator spends its CPU on sending, not
 * on a general-purpose client's machinery. Every contestant is Fastify, which always sends Content-Length.
 */
export function openHttpConnection(host: string, port: number) {
  let socket: Socket | undefined;
  let pending: ((answer: HttpAnswer) => void) | undefined;
  let buffered: Buffer = Buffer.alloc(0);

  const finish = (answer: HttpAnswer) => {
    const done = pending;
    pending = undefined;
    buffered = Buffer.alloc(0);
    done?.(answer);
  };

  const parse = () => {
    const end = buffered.indexOf(headerEnd);
    if (end < 0) return;
    const head = buffered.toString('latin1', 0, end);
    const length = Number(contentLength.exec(head)?.[1] ?? -1);
    if (length < 0) {
      socket?.destroy(new Error('an answer without Content-Length'));
      return;
    }
    const bodyStart = end + headerEnd.length;
    if (buffered.length < bodyStart + length) return;
    const status = Number(head.slice(9, 12));
    const body = buffered.subarray(bodyStart, bodyStart + length);
    finish({ status, body });
  };

  const open = () => {
    const s = connect({ host, port, noDelay: true });
    s.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      parse();
    });
    const drop = () => {
      if (socket === s) socket = undefined;
      finish({ status: 0, body: undefined });
    };
    s.on('error', drop);
    s.on('close', drop);
    return s;
  };

  return {
    /** Sends one request; the answer comes to `done`. Never call again before `done` ran. */
    send(request: Buffer, done: (answer: HttpAnswer) => void): void {
      pending = done;
      socket ??= open();
      socket.write(request);
    },
    close(): void {
      socket?.destroy();
      socket = undefined;
    },
  };
}
