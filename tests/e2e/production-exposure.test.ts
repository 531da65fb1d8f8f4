// NODE_ENV=production exposes no map of the API and no metrics to strangers: /docs and /docs/json
// are off unless API_DOCS=on, and /metrics needs its token (the configuration refuses to start
// without one: tests/unit/config.test.ts).

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { testKekFile } from '../../support/kek-file.js';

const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY: pem, PRIVACY_KEK_FILE: testKekFile(), METRICS_TOKEN: 'prod-metrics-token', LOG_LEVEL: 'silent' };

let prod: TestApp;
let prodWithDocs: TestApp;

beforeAll(async () => {
  [prod, prodWithDocs] = await Promise.all([startTestApp('prod_exposure', production), startTestApp('prod_exposure_docs', { ...production, API_DOCS: 'on' })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([prod?.stop(), prodWithDocs?.stop()]);
});

describe('production exposure', () => {
  it('serves no API docs by default', async () => {
    for (const path of ['/docs', '/docs/json', '/docs/static/index.html']) {
      const res = await fetch(`${prod.baseUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves them with API_DOCS=on', async () => {
    const res = await fetch(`${prodWithDocs.baseUrl}/docs/json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('answers /metrics only with its token', async () => {
    const anonymous = await fetch(`${prod.baseUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('missing_token');
    const withToken = await fetch(`${prod.baseUrl}/metrics`, { headers: { authorization: 'Bearer prod-metrics-token' } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toMatch(/^# HELP /m);
  });
});
