// The Idempotency-Key request header of uploads (IETF draft-ietf-httpapi-idempotency-key-header):
// 1–128 characters of letters, digits and `._~:+/=-` (UUIDs, base64, base64url), sent once.
// Anything else is 400 `invalid_idempotency_key` before the body is read.

import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../problem.js';

const KEY = /^[A-Za-z0-9._~:+/=-]{1,128}$/;

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw new HttpProblem(400, 'invalid_idempotency_key', 'Bad request', 'Idempotency-Key must be sent once, 1–128 characters of letters, digits and ._~:+/=-');
  }
  return value;
}
