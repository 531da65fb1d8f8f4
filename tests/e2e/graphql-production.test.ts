// GraphQL with NODE_ENV=production: no introspection, no GraphiQL, no schema endpoint; queries
// work as usual. (Outside production all three are served; graphql-queries.test.ts.)

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { eventually } from '../../support/eventually.js';
import { call } from '../support/http.js';
import { testKekFile } from '../../support/kek-file.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t = await startTestApp('graphql_production', { NODE_ENV: 'production', JWT_PRIVATE_KEY: pem, PRIVACY_KEK_FILE: testKekFile(), METRICS_TOKEN: 'test-metrics-token', LOG_LEVEL: 'silent' });
  token = (await tokenFor(t, 'carol@example.com', 'user')).token;
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('GraphQL in production', () => {
  it('refuses introspection and serves neither GraphiQL nor the schema', async () => {
    const introspection = await call<{ errors: { extensions: { code: string } }[] }>(t.baseUrl, 'POST', '/graphql', { token, body: { query: '{ __schema { types { name } } }' } });
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors[0]!.extensions.code).toBe('graphql_validation_failed');
    expect((await fetch(`${t.baseUrl}/graphiql`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/graphql/schema.graphql`)).status).toBe(404);
    const email = await eventually(async () => {
      const me = await call<{ data: { me: { email: string } | null } }>(t.baseUrl, 'POST', '/graphql', { token, body: { query: '{ me { email } }' } });
      return me.body.data.me?.email;
    }, 'me once the user is projected');
    expect(email).toBe('carol@example.com');
  });
});
