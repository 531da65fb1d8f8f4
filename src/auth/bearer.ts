import { AuthError } from './errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header === '') throw new AuthError('missing_token');
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw new AuthError('malformed_authorization');
  return token;
}
