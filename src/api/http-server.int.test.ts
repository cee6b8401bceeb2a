import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from './http-server.ts';

/** Sends raw bytes on a fresh connection and resolves with everything the server wrote before closing. */
function sendRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request, 'latin1'));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.once('error', reject);
    socket.once('close', () => resolve(received));
  });
}

const parse = (response: string) => {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { statusLine, headers, body };
};

describe('createHttpServer on a socket', () => {
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = createHttpServer();
    app.get('/ping', async () => ({ pong: true }));
    app.get('/things/:id', async () => ({ thing: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => app.close());

  it.each([
    ['a control character in a header value', 'GET /ping HTTP/1.1\r\nHost: x\r\nX-User-Id: al\x01ice\r\n\r\n'],
    ['a malformed request line', 'GET /ping NOT-HTTP\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET /ping HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'],
    ['a space inside a header name', 'GET /ping HTTP/1.1\r\nHost: x\r\nX User: a\r\n\r\n'],
  ])('answers %s with 400 invalid_request in the contract shape, and closes', async (_label, request) => {
    const { statusLine, headers, body } = parse(await sendRaw(port, request));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body)).toEqual({ error: 'invalid_request', message: expect.stringMatching(/\S/) });
  });

  it('answers a URL with broken percent-encoding with 400 invalid_request in the contract shape', async () => {
    const response = await app.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect([response.statusCode, response.json()]).toEqual([
      400,
      { error: 'invalid_request', message: expect.stringContaining('URL') },
    ]);
  });

  it('still answers a well-formed request on the same server', async () => {
    const { statusLine, body } = parse(
      await sendRaw(port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(JSON.parse(body)).toEqual({ pong: true });
  });
});
