export type AuthErrorCode = 'missing_token' | 'malformed_authorization' | 'token_invalid' | 'token_expired';

/**
 * Authentication failure with a stable `code` (maps to HTTP 401). The message is fixed per code and
 * never carries library internals; the underlying error, if any, is kept as the non-enumerable `cause`.
 */
export class AuthError extends Error {
  readonly status = 401;

  constructor(
    readonly code: AuthErrorCode,
    message: string = DEFAULT_MESSAGES[code],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}

const DEFAULT_MESSAGES: Record<AuthErrorCode, string> = {
  missing_token: 'Authorization header is missing',
  malformed_authorization: 'Authorization header must be "Bearer <token>"',
  token_invalid: 'Token is invalid',
  token_expired: 'Token has expired',
};

/** Every code an AuthError can carry (each answers 401). */
export const AUTH_ERROR_CODES = Object.keys(DEFAULT_MESSAGES) as AuthErrorCode[];
