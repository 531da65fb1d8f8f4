// The OpenAPI document at /docs/json (issue 19 items 1–5): it passes an OpenAPI linter (Redocly's
// recommended rules, @redocly/openapi-core; the private licence is the one rule turned off) and the
// project's own structural lint of tests/support/openapi-lint.ts, every operation has a 2xx with its media type, and every
// problem a route can emit is documented for it — driven from the code (every HttpProblem the
// HTTP layer constructs, every DomainError code through the error mapping's KIND_STATUS) and from
// the running app (hostile requests to every documented operation: whatever status and code come
// back must be the operation's documented ones; a success body must match its documented schema).

import { randomUUID } from 'node:crypto';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_STATUS } from '../../src/http/error-mapping.js';
import type { DomainErrorKind } from '../../src/domain/decider.js';
import { startTestApp, type TestApp } from '../support/app.js';
import sharp from 'sharp';
import { tokenFor } from '../support/audit.js';
import { registerConsenting } from '../support/consent.js';
import { documentedCodes, lintOpenApi, operationsOf, schemaCompiler, type Json, type Operation } from '../support/openapi-lint.js';

let t: TestApp;
let doc: Json;
let ops: Operation[];

beforeAll(async () => {
  t = await startTestApp('openapi_document');
  const res = await fetch(`${t.baseUrl}/docs/json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Json;
  ops = operationsOf(doc);
});

afterAll(async () => {
  await t?.stop();
});

const where = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

/** [status, code] of every problem written out in the files (HttpProblem, DomainError via KIND_STATUS). */
function problemsInSource(files: string[]): { file: string; status: number; code: string }[] {
  const out: { file: string; status: number; code: string }[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new HttpProblem\(\s*(\d{3}),\s*'([a-z_]+)'/g)) out.push({ file, status: Number(m[1]), code: m[2]! });
    for (const m of text.matchAll(/new DomainError\(\s*'([a-z_]+)',\s*'([a-z_]+)'/g)) {
      const kind = KIND_STATUS[m[1] as DomainErrorKind];
      if (kind) out.push({ file, status: kind[0], code: m[2]! });
    }
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('passes the lint (OpenAPI 3.1 structure, schemas compile, examples match, errors are problem+json)', () => {
    expect(lintOpenApi(doc)).toEqual([]);
    expect(ops.length).toBeGreaterThan(50);
  });

  it("passes Redocly's recommended OpenAPI rules with no error or warning", async () => {
    const config = await createConfig({ extends: ['recommended'], rules: { 'info-license': 'off' } });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`)).toEqual([]);
  });

  it('documents the upload form (a file picker in Swagger UI) and the non-JSON responses by media type', () => {
    const op = (method: string, p: string) => ops.find((o) => o.method === method && o.path === p)?.op;
    const upload = op('post', '/v1/images')?.requestBody as { content: Record<string, { schema: { properties: Record<string, Json>; required: string[] } }> };
    expect(upload.content['multipart/form-data']?.schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(upload.content['multipart/form-data']?.schema.required).toContain('file');
    const search = op('post', '/v1/faces/search')?.requestBody as { content: Record<string, unknown> };
    expect(Object.keys(search.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    const mediaOf = (method: string, p: string, status = '200') => Object.keys((op(method, p)?.responses?.[status]?.content ?? {}));
    expect(mediaOf('get', '/v1/images/{imageId}/content')).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    expect(mediaOf('get', '/v1/images/{imageId}/annotated')).toEqual(['image/png']);
    expect(mediaOf('get', '/v1/audit/export.ndjson')).toEqual(['application/x-ndjson']);
    expect(mediaOf('get', '/v1/audit/live')).toEqual(['text/event-stream']);
    expect(mediaOf('get', '/metrics')).toEqual(['text/plain']);
    expect(op('get', '/v1/audit/streams/{streamName}')?.parameters?.find((p) => p.in === 'path')).toMatchObject({ name: 'streamName', required: true });
    const password = (op('post', '/v1/auth/register')?.requestBody as { content: Record<string, { schema: { properties: Record<string, Json> } }> }).content['application/json']?.schema.properties.password;
    expect(password?.description).toMatch(/at least 10 characters/i);
    expect(ops.filter((o) => o.path.startsWith('/graphql') || o.path.startsWith('/graphiql'))).toEqual([]);
    expect(['/healthz', '/readyz', '/metrics'].map((p) => op('get', p)?.summary)).not.toContain(undefined);
  });

  it('documents every problem the HTTP layer and the domain write out, under its status', () => {
    const documented = new Set(ops.flatMap((o) => Object.keys(o.op.responses ?? {}).flatMap((s) => documentedCodes(o.op, Number(s)).map((c) => `${s} ${c}`))));
    // GraphQL answers in its own envelope; the console and GraphiQL pages are not in the document.
    const http = sourceFiles('src/http').filter((f) => !f.includes(`${path.sep}graphql${path.sep}`) && !f.includes(`${path.sep}console${path.sep}`));
    const domain = [...sourceFiles('src/commands'), ...sourceFiles('src/domain'), ...sourceFiles('src/queries'), ...sourceFiles('src/auth'), ...sourceFiles('src/privacy')];
    const missing = problemsInSource([...http, ...domain])
      .filter((p) => !documented.has(`${p.status} ${p.code}`))
      .map((p) => `${p.status} ${p.code} (${p.file})`);
    expect([...new Set(missing)]).toEqual([]);
  });
});

describe('the upload form, used as the document describes it (what Swagger UI sends)', () => {
  it('a photo in the documented field is accepted, and its bytes come back with a documented media type', async () => {
    const upload = ops.find((o) => o.method === 'post' && o.path === '/v1/images')!;
    const form = (upload.op.requestBody as { content: Record<string, { schema: { required: string[] } }> }).content['multipart/form-data']!.schema;
    const [field] = form.required;
    const { token } = await registerConsenting(t.baseUrl, { email: 'form@example.com', password: 'form upload password' });
    const png = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#808080' } }).png().toBuffer();
    const body = new FormData();
    body.append(field!, new Blob([png], { type: 'image/png' }), 'grey.png');
    const wrong = await probeAll(upload, [{ what: 'the documented form', headers: { authorization: `Bearer ${token}` }, body }]);
    expect(wrong).toEqual([]);
    const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
    expect(res.status).toBe(202);
    const { imageId, position } = (await res.json()) as { imageId: string; position: string };
    const content = await fetch(`${t.baseUrl}/v1/images/${imageId}/content?consistentWith=${position}`, { headers: { authorization: `Bearer ${token}` } });
    expect(content.status).toBe(200);
    const documented = Object.keys((ops.find((o) => o.path === '/v1/images/{imageId}/content')!.op.responses!['200']!.content ?? {}));
    expect(documented).toContain(content.headers.get('content-type'));
    expect(Buffer.from(await content.arrayBuffer()).equals(png)).toBe(true);
  });
});

// --- Hostile requests to every documented operation --------------------------------------------

function sample(schema: Json | undefined): string {
  if (!schema) return 'x';
  if (Array.isArray(schema.enum)) return String(schema.enum[0]);
  if (typeof schema.const === 'string' || typeof schema.const === 'number') return String(schema.const);
  if (Array.isArray(schema.anyOf)) return sample(schema.anyOf[0] as Json);
  if (schema.format === 'uuid') return randomUUID();
  if (schema.type === 'integer' || schema.type === 'number') return String(typeof schema.minimum === 'number' ? schema.minimum : 1);
  if (schema.format === 'date-time') return new Date().toISOString();
  return 'probe';
}

function urlOf(o: Operation, extraQuery = ''): string {
  let p = o.path;
  const query: string[] = [];
  for (const param of o.op.parameters ?? []) {
    const value = sample(param.schema as Json | undefined);
    if (param.in === 'path') p = p.replace(`{${String(param.name)}}`, encodeURIComponent(value));
    else if (param.in === 'query' && param.required === true) query.push(`${String(param.name)}=${encodeURIComponent(value)}`);
  }
  if (extraQuery) query.push(extraQuery);
  return query.length > 0 ? `${p}?${query.join('&')}` : p;
}

interface Probe {
  what: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  query?: string;
}

const isBodyMethod = (o: Operation) => ['post', 'put', 'patch', 'delete'].includes(o.method);
const isBearer = (o: Operation) => ((o.op.security ?? doc.security ?? []) as Json[]).some((s) => 'bearer' in s);

function bodyExample(o: Operation): Probe | undefined {
  const content = (o.op.requestBody as { content?: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> } | undefined)?.content;
  const json = content?.['application/json'];
  if (json) {
    const example = json.example ?? Object.values(json.examples ?? {})[0]?.value;
    return { what: 'its documented example body', headers: { 'content-type': 'application/json' }, body: JSON.stringify(example) };
  }
  if (content?.['multipart/form-data']) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('not an image')], { type: 'image/png' }), 'probe.png');
    return { what: 'a form whose file is not an image', body: form };
  }
  return undefined;
}

async function probeAll(o: Operation, probes: Probe[]): Promise<string[]> {
  const wrong: string[] = [];
  const compile = schemaCompiler(doc);
  for (const probe of probes) {
    const res = await fetch(`${t.baseUrl}${urlOf(o, probe.query)}`, { method: o.method.toUpperCase(), headers: probe.headers, body: probe.body, signal: AbortSignal.timeout(20_000) });
    const documented = Object.keys(o.op.responses ?? {});
    const type = res.headers.get('content-type') ?? '';
    if (!documented.includes(String(res.status))) {
      wrong.push(`${where(o)} with ${probe.what}: ${res.status} is not documented (${documented.join(', ')})`);
      await res.body?.cancel();
      continue;
    }
    if (res.status >= 400) {
      const body = (await res.json().catch(() => ({}))) as { code?: string };
      if (!type.startsWith('application/problem+json')) wrong.push(`${where(o)} with ${probe.what}: ${res.status} sent as ${type}`);
      if (!body.code || !documentedCodes(o.op, res.status).includes(body.code)) wrong.push(`${where(o)} with ${probe.what}: ${res.status} ${String(body.code)} is not documented (${documentedCodes(o.op, res.status).join(', ')})`);
      continue;
    }
    const content = (o.op.responses?.[String(res.status)]?.content ?? {}) as Record<string, { schema: unknown }>;
    const media = Object.keys(content).find((m) => type.startsWith(m));
    if (res.status !== 204 && res.status !== 304 && !media) wrong.push(`${where(o)} with ${probe.what}: ${res.status} ${type} is not a documented media type (${Object.keys(content).join(', ')})`);
    if (media === 'application/json') {
      const validate = compile(content[media]!.schema);
      const body: unknown = await res.json();
      if (!validate(body)) wrong.push(`${where(o)} with ${probe.what}: the ${res.status} body does not match its schema: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    } else await res.body?.cancel();
  }
  return wrong;
}

describe('every documented operation answers only what the document says', () => {
  it('to requests without a token, with a bad token, with text it cannot store, with bodies it cannot parse', async () => {
    const wrong: string[] = [];
    for (const o of ops) {
      const probes: Probe[] = [{ what: 'a NUL in the query string', query: 'probe=%00' }];
      if (isBearer(o)) probes.push({ what: 'no token' }, { what: 'a malformed token', headers: { authorization: 'Bearer not-a-jwt' } });
      if (isBodyMethod(o)) {
        probes.push({ what: 'malformed JSON', headers: { 'content-type': 'application/json' }, body: '{"x":' });
        probes.push({ what: 'a text/plain body', headers: { 'content-type': 'text/plain' }, body: 'hello' });
        probes.push({ what: 'a body over the limit', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(1024 * 1024 + 1) }) });
      }
      wrong.push(...(await probeAll(o, probes)));
    }
    expect(wrong).toEqual([]);
  });

  it('to a user and to an admin calling each with its documented example (ids that do not exist)', async () => {
    const wrong: string[] = [];
    const callers = { user: await tokenFor(t, 'probe-user@example.com', 'user'), admin: await tokenFor(t, 'probe-admin@example.com', 'admin') };
    let n = 0;
    for (const o of ops) {
      for (const role of ['user', 'admin'] as const) {
        const headers: Record<string, string> = {};
        // Erasing oneself ends the account: that call gets an account of its own.
        const caller = o.path === '/v1/me/erasure' ? await tokenFor(t, `probe-${n++}@example.com`, role) : callers[role];
        if (isBearer(o)) headers.authorization = `Bearer ${caller.token}`;
        const example = isBodyMethod(o) ? bodyExample(o) : undefined;
        // A stream (the live feed) is judged by its status and media type; its body is cancelled.
        wrong.push(...(await probeAll(o, [{ what: `a ${role}'s call${example ? ` with ${example.what}` : ''}`, headers: { ...headers, ...example?.headers }, body: example?.body }])));
      }
    }
    expect(wrong).toEqual([]);
  });
});
