// Logout, a revoked refresh-token family, a deactivation and a demotion end the old access token
// on the very next request, with Redis up (cases in auth-revocation-cases.ts).

import { afterAll, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { revocationCases } from './auth-revocation-cases.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('auth_revocation');
}, 60_000);
afterAll(async () => {
  await t.stop();
});

revocationCases('redis up', () => t, () => Promise.resolve());
