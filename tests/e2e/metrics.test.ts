// GET /metrics end to end: a whole app with workers takes some traffic (register, log in, an upload
// analysed by the real models, a 404), then the Prometheus text is parsed and every series family
// is checked: HTTP latency by route pattern, event store appends, inference per model, projector
// lag (exact for a consumer whose checkpoint is held at the start), BullMQ job counts, read-cache
// results, default process metrics. Also: the token, and the health-only app of the other roles.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { eventCount } from '../../support/database.js';
import { eventually } from '../../support/eventually.js';
import { call } from '../support/http.js';
import { readSample } from '../../support/sample-photos.js';
import { consentOverHttp } from '../support/consent.js';

const TOKEN = 'metrics-test-token';
const password = 'a perfectly fine password';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (0.0.4): samples, plus the TYPE of each family. */
function parseMetrics(text: string): { series: Series[]; types: Map<string, string> } {
  const series: Series[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    // NaN is a valid sample value (Prometheus reads it case-insensitively; prom-client writes
    // `Nan`): its event-loop lag gauges are NaN when no delay was sampled since the previous
    // scrape. Ours never are; anything else unparsable is an error.
    if (m[3]!.toLowerCase() !== 'nan' || m[1]!.startsWith('facetrail_')) expect(Number.isNaN(value), line).toBe(false);
    series.push({ name: m[1]!, labels, value });
  }
  return { series, types };
}

function find(series: Series[], name: string, labels: Record<string, string> = {}): Series[] {
  return series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function one(series: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = find(series, name, labels);
  expect(found, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]!.value;
}

async function scrape(baseUrl: string): Promise<ReturnType<typeof parseMetrics>> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

let t: TestApp;
let imageId: string;
let token: string;

beforeAll(async () => {
  t = await startTestApp('metrics', { METRICS_TOKEN: TOKEN }, {}, { workers: true });
  await call(t.baseUrl, 'POST', '/v1/auth/register', { body: { email: 'meg@example.com', password, displayName: 'Meg' } });
  token = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'meg@example.com', password } })).body.accessToken;
  await consentOverHttp(t.baseUrl, token);
  const form = new FormData();
  form.append('file', new Blob([await readSample(1)], { type: 'image/jpeg' }), 'sample1.jpg');
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(202);
  imageId = ((await res.json()) as { imageId: string }).imageId;
  await eventually(async () => {
    const r = await call<{ status: string }>(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token });
    return r.status === 200 && r.body.status !== 'pending' ? r.body : undefined;
  }, 'the upload analysed', 120_000);
  expect((await call(t.baseUrl, 'GET', '/v1/no/such/route')).status).toBe(404);
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('GET /metrics', () => {
  it('needs the metrics token when METRICS_TOKEN is set (401 problem+json)', async () => {
    const variants: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of variants) {
      const res = await call<{ code: string; status: number }>(t.baseUrl, 'GET', '/metrics', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(['missing_token', 'invalid_token']).toContain(res.body.code);
    }
  });

  it('times HTTP requests by method, route pattern and status class', async () => {
    const { series, types } = await scrape(t.baseUrl);
    expect(types.get('facetrail_http_request_duration_seconds')).toBe('histogram');
    const h = 'facetrail_http_request_duration_seconds';
    expect(one(series, `${h}_count`, { method: 'POST', route: '/v1/auth/register', status_class: '2xx' })).toBe(1);
    expect(one(series, `${h}_count`, { method: 'POST', route: '/v1/images', status_class: '2xx' })).toBe(1);
    expect(one(series, `${h}_count`, { method: 'GET', route: '/v1/images/:imageId', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(one(series, `${h}_count`, { method: 'GET', route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(one(series, `${h}_sum`, { method: 'POST', route: '/v1/images', status_class: '2xx' })).toBeGreaterThan(0);
    // Cumulative buckets: +Inf equals the count, and no bucket exceeds the next one.
    const buckets = find(series, `${h}_bucket`, { method: 'POST', route: '/v1/auth/register', status_class: '2xx' });
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(1);
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    // Ids never become labels: only route patterns do.
    expect(find(series, `${h}_count`).every((s) => !s.labels.route!.includes(imageId))).toBe(true);
  });

  it('times event store appends by store and outcome', async () => {
    const { series } = await scrape(t.baseUrl);
    // register, login (session), upload, analysis result: at least four successful appends.
    expect(one(series, 'facetrail_event_store_append_duration_seconds_count', { store: 'postgres', outcome: 'ok' })).toBeGreaterThanOrEqual(4);
    expect(one(series, 'facetrail_event_store_append_duration_seconds_sum', { store: 'postgres', outcome: 'ok' })).toBeGreaterThan(0);
  });

  it('times inference per model and version', async () => {
    const { series } = await scrape(t.baseUrl);
    const counts = find(series, 'facetrail_inference_duration_seconds_count', { model: 'facetrail-faces' });
    expect(counts).toHaveLength(1);
    expect(counts[0]!.labels.version).toMatch(/\+ssd$/);
    expect(counts[0]!.value).toBe(1);
    expect(one(series, 'facetrail_inference_duration_seconds_sum', { model: 'facetrail-faces' })).toBeGreaterThan(0);
  });

  it('reports each consumer lag; a checkpoint held at the start lags by every event', async () => {
    await t.runtime.pool.query("insert into rm.checkpoints (consumer, commit_pos, prepare_pos, events_applied, updated_at) values ('metrics-probe', 0, 0, 0, now())");
    const { series, types } = await scrape(t.baseUrl);
    expect(types.get('facetrail_projector_lag_events')).toBe('gauge');
    for (const consumer of ['users', 'sessions', 'images', 'job-bridge']) {
      expect(one(series, 'facetrail_projector_lag_events', { consumer })).toBeGreaterThanOrEqual(0);
      expect(one(series, 'facetrail_projector_lag_seconds', { consumer })).toBeGreaterThanOrEqual(0);
    }
    expect(one(series, 'facetrail_projector_lag_events', { consumer: 'metrics-probe' })).toBe(await eventCount(t.runtime.pool));
    expect(one(series, 'facetrail_projector_lag_seconds', { consumer: 'metrics-probe' })).toBeGreaterThan(0);
    expect(find(series, 'facetrail_metrics_collect_errors_total')).toEqual([]);
  });

  it('reports BullMQ job counts per queue and state', async () => {
    const { series } = await scrape(t.baseUrl);
    for (const queue of ['analysis', 'maintenance']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'paused']) {
        const v = one(series, 'facetrail_queue_jobs', { queue, state });
        expect(Number.isInteger(v) && v >= 0, `${queue}/${state} = ${v}`).toBe(true);
      }
    }
    expect(one(series, 'facetrail_queue_jobs', { queue: 'analysis', state: 'failed' })).toBe(0);
  });

  it('counts read-cache results per cache (the read cache reports to the runtime metrics)', async () => {
    const before = (await scrape(t.baseUrl)).series;
    const total = (series: Series[]) => find(series, 'facetrail_cache_requests_total', { cache: 'image' }).reduce((n, s) => n + s.value, 0);
    const hits = (series: Series[]) => find(series, 'facetrail_cache_requests_total', { cache: 'image', result: 'hit' }).reduce((n, s) => n + s.value, 0);
    expect(total(before), 'the polling reads went through the cache').toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) expect((await call(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token })).status).toBe(200);
    const after = (await scrape(t.baseUrl)).series;
    expect(total(after) - total(before)).toBe(2);
    expect(hits(after) - hits(before), 'the second read of an unchanged image is a hit').toBeGreaterThanOrEqual(1);
    for (const s of find(after, 'facetrail_cache_requests_total')) expect(['hit', 'miss', 'error', 'bypass']).toContain(s.labels.result);
  });

  it('includes the default process metrics', async () => {
    const { series } = await scrape(t.baseUrl);
    expect(one(series, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(one(series, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(one(series, 'process_start_time_seconds')).toBeGreaterThan(1_600_000_000);
  });
});

describe('/metrics on the projector and worker roles (health-only app)', () => {
  let healthOnly: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    healthOnly = await buildApp(t.runtime, { api: false });
    await healthOnly.listen({ host: '127.0.0.1', port: 0 });
    const address = healthOnly.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await healthOnly?.close();
  });

  it('serves /metrics next to /healthz and /readyz, with the same token', async () => {
    expect((await call(baseUrl, 'GET', '/metrics')).status).toBe(401);
    expect((await call(baseUrl, 'GET', '/readyz')).status).toBe(200);
    const { series } = await scrape(baseUrl);
    expect(one(series, 'facetrail_http_request_duration_seconds_count', { method: 'GET', route: '/readyz', status_class: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(find(series, 'facetrail_queue_jobs').length).toBeGreaterThan(0);
    expect(find(series, 'facetrail_projector_lag_events').length).toBeGreaterThan(0);
    // The API's routes are not served here.
    expect((await call(baseUrl, 'GET', '/v1/images')).status).toBe(404);
  });
});
