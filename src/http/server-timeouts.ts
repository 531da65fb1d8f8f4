// How long the HTTP server lets a client take (config.http): a request's headers and the whole
// request must arrive in time (Node's headersTimeout / requestTimeout: 408, socket closed — a body
// trickled a byte at a time no longer holds a socket for minutes), a socket with no traffic
// either way is closed (fastify connectionTimeout: also ends a client that stops reading a
// response), and so is a kept-alive connection with no next request. Node checks the first two
// every `connectionsCheckingInterval` (30 s by default): it is set to a quarter of the shorter
// timeout (at most 1 s), so a timeout ends within about a quarter of itself. Upgraded sockets
// (GraphQL WebSockets) leave the HTTP server and are not affected. Client errors (timeouts,
// malformed requests, oversized headers) are answered as problem+json before the socket closes.

import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyHttpOptions } from 'fastify';
import type { Config } from '../config.js';
import { problemBody } from './problem.js';

export function serverTimeoutOptions(config: Pick<Config['http'], 'requestTimeoutMs' | 'headersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs'>): FastifyHttpOptions<http.Server> {
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { headersTimeout, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeout / 4))) },
    clientErrorHandler,
  };
}

const CLIENT_ERRORS: Record<string, [status: number, code: string, detail: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'the request headers are too large'],
};

/** fastify's clientErrorHandler, answering problem+json (see fastify's defaultClientErrorHandler). */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'the request could not be parsed'];
  const body = JSON.stringify(problemBody({ status, code, title: http.STATUS_CODES[status] ?? 'Client error', detail }));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
