// Consent for test users (issue 15): an upload needs the owner's face_analysis consent. Over HTTP
// (the policy read, then POST /v1/me/consents, as a client does) or, for tests that upload through
// ImageService, straight on the user stream (registering a bare user first when there is none).

import { randomUUID } from 'node:crypto';
import { handleCommand, loadStream } from '../../src/commands/command-handler.js';
import type { ConsentPurpose } from '../../src/domain/identity/consent.js';
import { userDecider } from '../../src/domain/identity/user.js';
import { userStream } from '../../src/domain/identity/user-events.js';
import type { EventStore } from '../../src/eventstore/types.js';
import { publishedPolicy } from '../../src/privacy/policy/index.js';
import { call } from './http.js';

/** Gives consent for `purpose` as the holder of `token` does: reads the policy, consents to its version. */
export async function consentOverHttp(baseUrl: string, token: string, purpose: ConsentPurpose = 'face_analysis'): Promise<{ position: string | null }> {
  const policy = await call<{ version: string }>(baseUrl, 'GET', '/v1/privacy/policy');
  if (policy.status !== 200) throw new Error(`GET /v1/privacy/policy answered ${policy.status}`);
  const res = await call<{ position: string | null }>(baseUrl, 'POST', '/v1/me/consents', { token, body: { purpose, policyVersion: policy.body.version } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`consent to ${purpose} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Registers, logs in and consents to face_analysis: a user who can upload. */
export async function registerConsenting(baseUrl: string, user: { email: string; password: string; displayName?: string }): Promise<{ userId: string; token: string; position: string }> {
  const reg = await call<{ userId: string; position: string }>(baseUrl, 'POST', '/v1/auth/register', { body: { email: user.email, password: user.password, displayName: user.displayName ?? user.email } });
  if (reg.status !== 201) throw new Error(`register ${user.email} answered ${reg.status}: ${JSON.stringify(reg.body)}`);
  const tok = await call<{ accessToken: string }>(baseUrl, 'POST', '/v1/auth/token', { body: { email: user.email, password: user.password } });
  if (tok.status !== 200) throw new Error(`login ${user.email} answered ${tok.status}`);
  const consent = await consentOverHttp(baseUrl, tok.body.accessToken);
  return { userId: reg.body.userId, token: tok.body.accessToken, position: consent.position ?? reg.body.position };
}

/**
 * The owner `userId` (default: a new one) with face_analysis consent on their user stream: for
 * tests that upload through ImageService. A user that does not exist is registered bare (no
 * e-mail claim: nobody logs in as them).
 */
export async function consentingOwner(store: EventStore, userId: string = randomUUID(), purpose: ConsentPurpose = 'face_analysis'): Promise<string> {
  const ctx = { actor: { id: 'test-support', kind: 'system' as const }, correlationId: randomUUID() };
  const stream = userStream(userId);
  const { state } = await loadStream(store, userDecider, stream);
  if (state.status === 'none') {
    await handleCommand(store, userDecider, stream, { type: 'RegisterUser', userId, email: `${userId}@owners.test`, displayName: 'Owner', passwordHash: 'not-a-login', role: 'user' }, ctx);
  }
  const policy = publishedPolicy(1_095);
  await handleCommand(store, userDecider, stream, { type: 'GiveConsent', purpose, policyVersion: policy.version, current: policy }, ctx);
  return userId;
}
