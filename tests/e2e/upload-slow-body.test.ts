// Slow and idle clients are cut off (HTTP_REQUEST_TIMEOUT_MS, HTTP_HEADERS_TIMEOUT_MS,
// HTTP_KEEP_ALIVE_TIMEOUT_MS, small here): an upload whose body trickles in a byte at a time is
// answered 408 problem+json and its socket closed while the client is still sending, writing
// nothing; a socket that never sends a request and a kept-alive socket with no next request are
// closed. Every wait is on the socket's close event; the trickle itself is the only timer.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCount } from '../../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/http.js';
import { consentOverHttp } from '../support/consent.js';

let t: TestApp;
let token: string;
let port: number;

beforeAll(async () => {
  t = await startTestApp('upload_slow_body', { HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '20000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
  port = Number(new URL(t.baseUrl).port);
  const email = 'slow@example.com';
  const password = 'a perfectly fine password';
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email, password, displayName: 'Slow' } });
  token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
});
afterAll(async () => {
  await t.stop();
});

interface Ended {
  /** Everything the server sent before the socket closed. */
  received: string;
}

/** Opens a socket, runs `drive` on it and resolves when the socket closes (by either side). */
function onSocket(drive: (socket: net.Socket) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the answer is fine: the close event follows
    socket.on('close', () => resolve({ received }));
    socket.on('connect', () => {
      try {
        drive(socket);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function problemOf(raw: string): { status: number; body: Record<string, unknown>; contentType: string | undefined } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(head)?.[1];
  return { status, contentType, body: body ? (JSON.parse(body) as Record<string, unknown>) : {} };
}

async function blobCount(): Promise<number> {
  const { rows } = await t.runtime.pool.query<{ n: string }>('select count(*)::text as n from blobs.blobs');
  return Number(rows[0]!.n);
}

describe('slow clients', () => {
  it('an upload body trickled 1 byte / 50 ms is answered 408 and closed before it is complete; nothing is written', async () => {
    const boundary = 'slowslowslow';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.alloc(100, 0x41),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const events = await eventCount(t.runtime.pool);
    const blobs = await blobCount();
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const ended = await onSocket((socket) => {
      socket.write(
        `POST /v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      timer = setInterval(() => {
        if (sent >= body.length || socket.destroyed) return clearInterval(timer);
        socket.write(body.subarray(sent, sent + 1));
        sent++;
      }, 50);
      socket.on('close', () => clearInterval(timer));
    });
    expect(sent, 'the server closed the socket while the body was still coming').toBeLessThan(body.length);
    const answer = problemOf(ended.received);
    expect(answer.status).toBe(408);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status: 408, code: 'request_timeout' });
    expect(await eventCount(t.runtime.pool)).toBe(events);
    expect(await blobCount()).toBe(blobs);
  }, 30_000);

  it('a socket that never sends a request is answered 408 and closed (headers timeout)', async () => {
    const ended = await onSocket(() => undefined);
    expect(problemOf(ended.received)).toMatchObject({ status: 408, body: { code: 'request_timeout' } });
  }, 30_000);

  it('headers trickled in are cut off too', async () => {
    let timer: NodeJS.Timeout | undefined;
    const ended = await onSocket((socket) => {
      const head = Buffer.from(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'p'.repeat(400)}\r\n\r\n`);
      let i = 0;
      timer = setInterval(() => {
        if (i >= head.length || socket.destroyed) return clearInterval(timer);
        socket.write(head.subarray(i, ++i));
      }, 50);
      socket.on('close', () => clearInterval(timer));
    });
    expect(problemOf(ended.received)).toMatchObject({ status: 408, body: { code: 'request_timeout' } });
  }, 30_000);

  it('a kept-alive connection with no next request is closed (keep-alive timeout)', async () => {
    const ended = await onSocket((socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    });
    expect(ended.received).toMatch(/^HTTP\/1\.1 200/);
  }, 30_000);
});
