// Signing up, in and out, and who is signed in (GET /v1/me).

import { api, CONSOLE_HEADER, refreshAccess, setAccess, type AccessGrant } from './client.js';
import { problemOf } from './problem.js';

export type Role = 'user' | 'auditor' | 'admin';

export interface Me {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  status: 'active' | 'deactivated';
}

export async function signIn(email: string, password: string): Promise<AccessGrant> {
  const response = await fetch('/v1/auth/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await problemOf(response);
  const grant = (await response.json()) as AccessGrant;
  setAccess(grant);
  return grant;
}

export async function signUp(input: { email: string; password: string; displayName: string }): Promise<{ userId: string; position: string }> {
  const response = await fetch('/v1/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as { userId: string; position: string };
}

export async function signOut(): Promise<void> {
  try {
    await fetch('/v1/auth/session', { method: 'DELETE', headers: CONSOLE_HEADER, credentials: 'same-origin' });
  } finally {
    setAccess(undefined);
  }
}

/** A session from the refresh cookie (a reload, a new tab): the user, or undefined when there is none. */
export async function restoreSession(): Promise<Me | undefined> {
  return (await refreshAccess()) ? currentUser() : undefined;
}

/** The signed-in user; consistentWith: as of at least that position (right after registering). */
export async function currentUser(consistentWith?: string | null): Promise<Me> {
  const q = consistentWith ? `?consistentWith=${encodeURIComponent(consistentWith)}` : '';
  return api<Me>('GET', `/v1/me${q}`);
}
