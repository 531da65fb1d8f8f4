// Who is signed in, for every screen: the user (GET /v1/me) and how to refresh or end the session.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './api/session.js';

export interface SessionState {
  me: Me;
  /** Reads /v1/me again (after a role change or a rename). */
  refreshMe: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | undefined>(undefined);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in screen');
  return s;
}
