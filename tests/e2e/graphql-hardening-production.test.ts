// GraphQL in NODE_ENV=production gives no field suggestions (issue 13, item 10): "Did you mean …?"
// names fields, arguments, types and enum values to whoever asks, like introspection (already off).
// The errors keep their codes; only the suggestion goes. (Outside production they are given:
// graphql-hardening.test.ts.)

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';
import { testKekFile } from '../../support/kek-file.js';

interface GqlBody {
  errors?: { message: string; extensions: { code: string } }[];
}

let t: TestApp;
let token: string;

beforeAll(async () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t = await startTestApp('gql_hardening_prod', { NODE_ENV: 'production', JWT_PRIVATE_KEY: pem, PRIVACY_KEK_FILE: testKekFile(), METRICS_TOKEN: 'gql-hardening-metrics-token', LOG_LEVEL: 'silent' });
  token = (await tokenFor(t, 'dave@example.com', 'user')).token;
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

describe('GraphQL in production: no suggestions', () => {
  it('names no field, argument, type or enum value in its errors', async () => {
    const cases: [string, Record<string, unknown> | undefined, string][] = [
      ['{ imags { edges { cursor } } }', undefined, 'graphql_validation_failed'],
      ['{ images(frist: 1) { edges { cursor } } }', undefined, 'graphql_validation_failed'],
      ['query($s: ImageStatu) { images(status: $s) { edges { cursor } } }', undefined, 'graphql_validation_failed'],
      ['{ images(status: analyzd) { edges { cursor } } }', undefined, 'graphql_validation_failed'],
      ['query($s: ImageStatus) { images(status: $s) { edges { cursor } } }', { s: 'analyzd' }, 'graphql_validation_failed'],
    ];
    for (const [query, variables, code] of cases) {
      const res = await call<GqlBody>(t.baseUrl, 'POST', '/graphql', { token, body: { query, variables } });
      expect(res.status, query).toBe(400);
      const error = res.body.errors?.[0];
      expect(error?.message, query).not.toMatch(/Did you mean/);
      expect(error?.extensions.code, query).toBe(code);
    }
  });
});
