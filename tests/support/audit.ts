// Helpers for the audit e2e tests: users with a given role (created on the command side, like the
// CLI does) logged in over HTTP, and the feed's event shape.

import { IdentityService } from '../../src/commands/identity/identity-service.js';
import type { Role } from '../../src/domain/identity/roles.js';
import type { TestApp } from './app.js';
import { call } from './http.js';

export interface FeedEvent {
  id: string;
  stream: string;
  revision: string;
  position: string;
  type: string;
  data: unknown;
  metadata: { actor?: { id: string } } & Record<string, unknown>;
  recordedAt: string;
}
export interface FeedPage {
  events: FeedEvent[];
  nextCursor: string;
}

/** The password of every user tokenFor registers. */
export const PASSWORD = 'audit trail password 42';

/** Registers a user with `role` and returns their access token. */
export async function tokenFor(t: TestApp, email: string, role: Role): Promise<{ userId: string; token: string }> {
  const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
  const { userId } = await identity.register({ email, password: PASSWORD, displayName: role, role }, { correlationId: 'test', actor: { id: 'cli', kind: 'system' } });
  const res = await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId, token: res.body.accessToken };
}
