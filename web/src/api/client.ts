// The API client of the console. The access token lives in this module's memory only (never in
// localStorage or a readable cookie): a reload or a new tab gets a new one from the refresh cookie
// (HttpOnly, SameSite=Strict, Path=/v1/auth/session), which script cannot read. A request that
// meets an expired access token refreshes once and retries.

import { problemOf, ProblemError } from './problem.js';

export const CONSOLE_HEADER = { 'x-facetrail-console': '1' } as const;

export interface AccessGrant {
  accessToken: string;
  expiresIn: number;
  userId: string;
  position: string | null;
}

let access: { token: string; expiresAt: number } | undefined;
let refreshing: Promise<AccessGrant | undefined> | undefined;
const listeners = new Set<(signedIn: boolean) => void>();

/** Told when the session starts or ends (sign-in, sign-out, a refresh that failed). */
export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setAccess(grant: AccessGrant | undefined): void {
  const was = access !== undefined;
  access = grant ? { token: grant.accessToken, expiresAt: Date.now() + grant.expiresIn * 1000 } : undefined;
  if (was !== (access !== undefined)) for (const l of listeners) l(access !== undefined);
}

/** A new access token from the refresh cookie; undefined when there is no (valid) session. */
export function refreshAccess(): Promise<AccessGrant | undefined> {
  refreshing ??= (async () => {
    try {
      const response = await fetch('/v1/auth/session/refresh', { method: 'POST', headers: CONSOLE_HEADER, credentials: 'same-origin' });
      if (response.status === 401) {
        setAccess(undefined);
        return undefined;
      }
      if (!response.ok) throw await problemOf(response);
      const grant = (await response.json()) as AccessGrant;
      setAccess(grant);
      return grant;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** The current access token, refreshed when it is about to expire (for WebSocket and streams). */
export async function accessToken(): Promise<string> {
  if (!access || access.expiresAt - Date.now() < 15_000) await refreshAccess();
  if (!access) throw new ProblemError(401, 'missing_token', { title: 'Signed out', detail: 'sign in again' });
  return access.token;
}

export interface RequestOptions {
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Answer the raw Response (binary bodies, streams). */
  raw?: boolean;
}

async function send(method: string, path: string, opts: RequestOptions, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (token) headers['authorization'] = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  return fetch(path, { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
}

/** A JSON request with the access token; a ProblemError for anything but 2xx. */
export async function api<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const response = await apiResponse(method, path, opts);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** api() without reading the body: the Response of a 2xx. */
export async function apiResponse(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  let response = await send(method, path, opts, access?.token ?? (await refreshAccess())?.accessToken);
  if (response.status === 401) {
    const problem = await problemOf(response.clone());
    if (problem.code === 'token_expired' || problem.code === 'missing_token') {
      const grant = await refreshAccess();
      if (grant) response = await send(method, path, opts, grant.accessToken);
    }
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

export const get = <T>(path: string, opts?: RequestOptions) => api<T>('GET', path, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions) => api<T>('POST', path, { ...opts, body });
