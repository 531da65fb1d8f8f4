import type { Role } from '../domain/identity/roles.js';

/** Who or what issued a command; recorded on every event it produces. */
export interface Actor {
  id: string;
  kind: 'user' | 'system' | 'worker';
  role?: Role;
}

export interface CommandContext {
  actor: Actor;
  /** Ties together everything caused by one request or job. */
  correlationId: string;
  /** The event or request that caused this command; defaults to the command's own id. */
  causationId?: string;
}

export const systemActor = (id: string): Actor => ({ id, kind: 'system' });
