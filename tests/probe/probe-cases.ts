// The hostile cases of issue 13, replayed against a running app: JWT attacks, IDOR attempts,
// hostile uploads, validation edges (dates, cursors, revisions, NUL/surrogates, bidi), GraphQL
// abuse and oversize bodies. Each probe is one request; a few controls (a valid request of the
// same kind) show the probe reaches what it means to reach.
//
// `expect`: 'refused' (any 4xx, or a connection closed on a refused upload), 'ok' (2xx) or 'any'.
// `owner` names who fixed the defect the probe replays (issue 13 items, helpers of the split).

import { generateKeyPair, SignJWT } from 'jose';
import sharp from 'sharp';
import { pngBomb } from '../support/bad-images.js';
import type { ProbeRequest, ProbeResponse } from './probe-http.js';

export interface Probe {
  group: 'jwt' | 'idor' | 'upload' | 'validation' | 'graphql' | 'body';
  name: string;
  expect: 'refused' | 'ok' | 'any';
  /** Issue 13 item whose fix the probe checks, and who made it (A: GraphQL, B: inputs, C: auth, D: uploads). */
  owner?: string;
  /** Events of these types are the point of this refusal (e.g. refresh-token reuse revokes the session). */
  mayWrite?: string[];
  request: ProbeRequest;
  /** What is wrong with the answer beyond its status (e.g. it shows another user's data), or undefined. */
  check?: (res: ProbeResponse) => string | undefined;
}

export interface ProbeSubjects {
  alice: { userId: string; token: string; refreshToken: string; imageId: string };
  bob: { userId: string; token: string };
  /** An admin's token (audit routes); undefined when the probe cannot create one (no database). */
  admin: string | undefined;
  /** A refresh token of alice's that has been rotated already (its reuse is refused). */
  rotatedRefreshToken: string;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function forgedTokens(real: string): Promise<[string, string][]> {
  const claims = claimsOf(real);
  const [header, , signature] = real.split('.');
  const now = Math.floor(Date.now() / 1000);
  const foreign = await generateKeyPair('EdDSA');
  const expired = await new SignJWT({ ...claims, exp: now - 3600, iat: now - 7200 }).setProtectedHeader({ alg: 'EdDSA' }).sign(foreign.privateKey);
  const hs256 = await new SignJWT({ ...claims, role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('public key as an HMAC secret'));
  return [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'admin' })}.`],
    ['alg none, no dot', `${b64({ alg: 'none' })}.${b64({ ...claims, role: 'admin' })}`],
    ['tampered payload (role admin)', `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`],
    ['tampered subject', `${header}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`],
    ['expired, foreign key', expired],
    ['HS256 key confusion', hs256],
    ['garbage', 'not.a.jwt'],
    ['empty', ''],
    ['huge', 'a'.repeat(16_000)],
  ];
}

/** A PNG header of `width × height` real pixels (solid, so it is small to send). */
const solidPng = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#7a7a7a' } }).png({ compressionLevel: 9 }).toBuffer();

function upload(token: string, bytes: Buffer | string, filename = 'photo.png', field = 'file', type = 'image/png'): ProbeRequest {
  const form = new FormData();
  form.append(field, new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type }), filename);
  return { method: 'POST', path: '/v1/images', token, form };
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

export async function buildProbes(s: ProbeSubjects): Promise<Probe[]> {
  const probes: Probe[] = [];
  const add = (p: Probe) => probes.push(p);
  const staff = s.admin ?? s.bob.token;
  const aliceImage = `/v1/images/${s.alice.imageId}`;

  // JWT attacks: every forged token is a 401 on REST and GraphQL.
  for (const [name, token] of await forgedTokens(s.alice.token)) {
    add({ group: 'jwt', name: `${name} (REST)`, expect: 'refused', request: { method: 'GET', path: '/v1/images', token } });
    add({ group: 'jwt', name: `${name} (GraphQL)`, expect: 'refused', request: { method: 'POST', path: '/graphql', token, body: { query: '{ me { id role } }' } } });
    add({ group: 'jwt', name: `${name} (admin route)`, expect: 'refused', request: { method: 'POST', path: `/v1/admin/users/${s.bob.userId}/role`, token, body: { role: 'admin' } } });
  }
  add({ group: 'jwt', name: 'refresh token as access token', expect: 'refused', request: { method: 'GET', path: '/v1/me', token: s.alice.refreshToken } });
  add({ group: 'jwt', name: 'access token as refresh token', expect: 'refused', request: { method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: s.alice.token } } });
  add({ group: 'jwt', name: 'rotated refresh token replayed', expect: 'refused', owner: 'C (item 7)', mayWrite: ['SessionRevoked'], request: { method: 'POST', path: '/v1/auth/refresh', body: { refreshToken: s.rotatedRefreshToken } } });
  add({ group: 'jwt', name: 'Basic instead of Bearer', expect: 'refused', request: { method: 'GET', path: '/v1/me', headers: { authorization: 'Basic YWxpY2U6cGFzcw==' } } });
  add({ group: 'jwt', name: 'control: a valid token', expect: 'ok', request: { method: 'GET', path: '/v1/me', token: s.bob.token } });

  // IDOR: bob reaches for alice's image and account.
  for (const [name, req] of [
    ['read', { method: 'GET', path: aliceImage }],
    ['read with descriptors', { method: 'GET', path: `${aliceImage}?include=descriptor` }],
    ['read as of its upload', { method: 'GET', path: `${aliceImage}?asOf=9223372036854775807-0` }],
    ['content', { method: 'GET', path: `${aliceImage}/content` }],
    ['thumbnail', { method: 'GET', path: `${aliceImage}/thumbnail` }],
    ['annotated', { method: 'GET', path: `${aliceImage}/annotated` }],
    ['reanalyze', { method: 'POST', path: `${aliceImage}/reanalyze` }],
    ['delete', { method: 'DELETE', path: aliceImage }],
    ['user record', { method: 'GET', path: `/v1/users/${s.alice.userId}` }],
    ['make self admin', { method: 'POST', path: `/v1/admin/users/${s.bob.userId}/role`, body: { role: 'admin' } }],
    ['deactivate alice', { method: 'POST', path: `/v1/admin/users/${s.alice.userId}/deactivate`, body: { reason: 'probe' } }],
    ['audit feed', { method: 'GET', path: '/v1/audit/events' }],
    ['audit stream of alice', { method: 'GET', path: `/v1/audit/streams/user-${s.alice.userId}` }],
  ] as [string, ProbeRequest][]) {
    add({ group: 'idor', name: `another user's ${name}`, expect: 'refused', request: { ...req, token: s.bob.token } });
  }
  const noLeak = (res: ProbeResponse) => (res.text.includes(s.alice.imageId) ? "the answer holds alice's image id" : undefined);
  for (const [name, query] of [
    ['image(id)', `{ image(id: "${s.alice.imageId}") { id filename } }`],
    ['user images', `{ users(ids: ["${s.alice.userId}"]) { id images { edges { node { id } } } } }`],
    ['images (all)', '{ images(first: 100) { edges { node { id } } } }'],
    ['auditEvents', '{ auditEvents { events { data } nextCursor } }'],
  ] as const) {
    add({ group: 'idor', name: `GraphQL ${name}`, expect: 'any', check: noLeak, request: { method: 'POST', path: '/graphql', token: s.bob.token, body: { query } } });
  }
  add({ group: 'idor', name: "another user's image in the list", expect: 'ok', check: noLeak, request: { method: 'GET', path: '/v1/images?limit=100', token: s.bob.token } });

  // Hostile uploads.
  const truncated = (await solidPng(64, 64)).subarray(0, 60);
  add({ group: 'upload', name: 'not an image', expect: 'refused', owner: 'D (item 11)', request: upload(s.bob.token, 'just some text, not a picture', 'notes.png') });
  add({ group: 'upload', name: 'truncated PNG', expect: 'refused', owner: 'D (item 11)', request: upload(s.bob.token, truncated) });
  add({ group: 'upload', name: 'PNG bomb (100000 x 100000 header)', expect: 'refused', owner: 'D (item 11)', request: upload(s.bob.token, await pngBomb()) });
  add({ group: 'upload', name: 'PNG bomb (8 x 2^31 header)', expect: 'refused', owner: 'D (item 11)', request: upload(s.bob.token, await pngBomb(8, 0x7fffffff)) });
  add({ group: 'upload', name: '50-megapixel PNG (over the pixel limit)', expect: 'refused', owner: 'D (item 11)', request: upload(s.bob.token, await solidPng(10_000, 5_000)) });
  add({ group: 'upload', name: 'empty file', expect: 'refused', request: upload(s.bob.token, Buffer.alloc(0)) });
  add({ group: 'upload', name: 'wrong field', expect: 'refused', request: upload(s.bob.token, await solidPng(8, 8), 'a.png', 'picture') });
  add({ group: 'upload', name: 'JSON instead of multipart', expect: 'refused', request: { method: 'POST', path: '/v1/images', token: s.bob.token, body: { file: 'x' } } });
  add({ group: 'upload', name: 'no token', expect: 'refused', request: { ...upload('', await solidPng(8, 8)), token: undefined } });
  {
    const form = new FormData();
    for (const n of [1, 2]) form.append('file', new Blob([new Uint8Array(await solidPng(8 + n, 8))], { type: 'image/png' }), `${n}.png`);
    add({ group: 'upload', name: 'two files', expect: 'refused', request: { method: 'POST', path: '/v1/images', token: s.bob.token, form } });
  }
  add({ group: 'upload', name: 'bidi filename (accepted, served without the controls)', expect: 'ok', owner: 'B (item 12)', request: upload(s.bob.token, await solidPng(9, 9), 'invoice\u202Egnp.exe') });
  add({ group: 'upload', name: 'idempotent retry with other bytes', expect: 'any', owner: 'D (item 11)', request: { ...upload(s.bob.token, await solidPng(10, 10)), headers: { 'idempotency-key': 'probe-same-key' } } });
  add({ group: 'upload', name: 'idempotent retry, other bytes, same key', expect: 'refused', owner: 'D (item 11)', request: { ...upload(s.bob.token, await solidPng(11, 11)), headers: { 'idempotency-key': 'probe-same-key' } } });

  // Validation edges: dates, cursors, revisions (item 2, 3).
  for (const path of [
    '/v1/stats?to=0000-01-01',
    '/v1/stats?from=0001-01-01',
    '/v1/stats?from=0000-12-31&to=0001-01-01',
    '/v1/stats?to=99999-01-01',
    '/v1/images?from=0000-01-01T00:00:00Z',
    '/v1/images?to=0001-01-01T00:00:00%2B01:00',
    '/v1/images?from=9999-12-31T23:59:59-01:00',
    '/v1/images?from=%2B275760-09-13T00:00:00Z',
    '/v1/images?cursor=%7B%7D',
    '/v1/images?limit=1000000',
    '/v1/images?consistentWith=1-9223372036854775808',
    `${aliceImage}?asOf=0000-01-01T00:00:00Z`,
    '/v1/audit/events?after=1-9223372036854775808',
    '/v1/audit/events?after=9223372036854775808-1',
    '/v1/audit/events?from=0000-01-01T00:00:00Z',
    '/v1/audit/export.ndjson?after=18446744073709551615-18446744073709551615',
    '/v1/audit/streams/user-x?fromRevision=9223372036854775808',
    '/v1/audit/streams/user-x?fromRevision=-1',
    '/v1/audit/live?after=99999999999999999999-0',
  ]) {
    add({ group: 'validation', name: `GET ${path}`, expect: path.includes('asOf=0000') ? 'any' : 'refused', owner: 'B (items 2, 3)', request: { method: 'GET', path, token: path.startsWith('/v1/audit') ? staff : s.alice.token } });
  }
  for (const query of [
    '{ auditEvents(after: "1-9223372036854775808") { nextCursor } }',
    '{ auditEvents(from: "0000-01-01T00:00:00Z") { nextCursor } }',
    '{ stats(to: "0000-01-01") { day } }',
    '{ images(uploadedFrom: "0000-01-01T00:00:00Z") { edges { cursor } } }',
    '{ images(consistentWith: "1-9223372036854775808") { edges { cursor } } }',
  ]) {
    add({ group: 'validation', name: `GraphQL ${query}`, expect: 'refused', owner: 'B (items 2, 3)', request: { method: 'POST', path: '/graphql', token: staff, body: { query } } });
  }

  // Text that cannot be stored (item 6, 12): every field of a registration, login, queries.
  const good = { email: 'probe-text@example.com', password: 'a long enough password', displayName: 'Probe' };
  for (const [field, value] of [
    ['email', 'nul\u0000@example.com'],
    ['email', 'lone\ud800@example.com'],
    ['displayName', 'nul\u0000'],
    ['displayName', 'lone \udc00'],
    ['displayName', 'bell\u0007'],
    ['password', 'a long enough \ud800 password'],
    ['password', 'a long enough \u0000 password'],
  ] as const) {
    // Each with an address of its own: one that got through must not make the next one a mere 409.
    const body = { ...good, email: `probe-text-${probes.length}@example.com`, [field]: value };
    add({ group: 'validation', name: `register: ${field} ${JSON.stringify(value)}`, expect: 'refused', owner: 'B (item 6)', request: { method: 'POST', path: '/v1/auth/register', body } });
  }
  add({ group: 'validation', name: 'register: escaped lone surrogate in raw JSON', expect: 'refused', owner: 'B (item 6)', request: { method: 'POST', path: '/v1/auth/register', raw: '{"email":"raw@example.com","password":"a long enough password","displayName":"\\udbff"}' } });
  add({ group: 'validation', name: 'login: lone surrogate password', expect: 'refused', owner: 'B (item 12)', request: { method: 'POST', path: '/v1/auth/token', body: { email: 'probe-text@example.com', password: 'x\ud800xxxxxxxxxx' } } });
  add({ group: 'validation', name: 'deactivate: NUL in reason', expect: 'refused', owner: 'B (item 6)', request: { method: 'POST', path: `/v1/admin/users/${s.bob.userId}/deactivate`, token: staff, body: { reason: 'x\u0000' } } });
  add({ group: 'validation', name: 'query string NUL', expect: 'refused', owner: 'B (item 6)', request: { method: 'GET', path: '/v1/audit/events?actor=a%00b', token: staff } });
  add({ group: 'validation', name: 'path NUL', expect: 'refused', owner: 'B (item 6)', request: { method: 'GET', path: '/v1/audit/streams/user-%00', token: staff } });
  add({ group: 'validation', name: 'GraphQL variable lone surrogate', expect: 'refused', owner: 'B (item 6)', request: { method: 'POST', path: '/graphql', token: s.alice.token, body: { query: 'query($t: String) { stats(to: $t) { day } }', variables: { t: '\ud800' } } } });
  add({ group: 'validation', name: 'register: wrong types', expect: 'refused', request: { method: 'POST', path: '/v1/auth/register', body: { email: 1, password: [], displayName: {} } } });
  add({ group: 'validation', name: 'control: a valid registration', expect: 'ok', request: { method: 'POST', path: '/v1/auth/register', body: { ...good, email: `probe-${Date.now()}@example.com` } } });

  // GraphQL abuse (items 1, 4, 5).
  const gql = (name: string, body: unknown, expect: Probe['expect'] = 'refused', owner = 'A (items 1, 4, 5)') =>
    add({ group: 'graphql', name, expect, owner, request: { method: 'POST', path: '/graphql', token: s.alice.token, ...(typeof body === 'string' ? { raw: body } : { body }) } });
  gql('query is a number', { query: 123 });
  gql('query is an object', { query: { a: 1 } });
  gql('query is JSON text', { query: '{"query":"{ me { id } }"}' });
  gql('variables are a string', { query: '{ __typename }', variables: 'x' });
  gql('20 000-deep variables (objects)', `{"query":"{ __typename }","variables":{"v":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`);
  gql('200-deep variables (arrays)', { query: '{ __typename }', variables: { v: nested(200) } }, 'any');
  gql('20 000-deep variables (raw)', `{"query":"{ __typename }","variables":{"v":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
  gql('~900 kB variables', { query: '{ __typename }', variables: { v: 'x'.repeat(900_000) } }, 'any');
  gql('batched queries', [{ query: '{ __typename }' }, { query: '{ me { id } }' }]);
  gql('deep query', { query: `{ me { ${'images { edges { node { owner { '.repeat(30)}id${' } } } }'.repeat(30)} } }` });
  gql('long query', { query: `{ ${'__typename '.repeat(50_000)} }` });
  gql('many aliases', { query: `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: images(first: 100) { edges { node { faces { box { x } } } } }`).join(' ')} }` });
  gql('syntax error', { query: '{ me { id ' });
  gql('unknown field', { query: '{ nope }' });
  gql('control: a valid query', { query: '{ me { id } }' }, 'ok', '');
  add({ group: 'graphql', name: 'GET with a mutation-looking query', expect: 'any', request: { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __typename }')}`, token: s.alice.token } });

  // Oversize and malformed bodies.
  add({ group: 'body', name: '2 MiB JSON to register', expect: 'refused', request: { method: 'POST', path: '/v1/auth/register', raw: JSON.stringify({ ...good, displayName: 'x'.repeat(2 * 1024 * 1024) }) } });
  add({ group: 'body', name: '3 MiB JSON to /graphql', expect: 'refused', owner: 'A (item 1)', request: { method: 'POST', path: '/graphql', token: s.alice.token, raw: JSON.stringify({ query: '{ __typename }', variables: { v: 'x'.repeat(3 * 1024 * 1024) } }) } });
  add({ group: 'body', name: 'malformed JSON', expect: 'refused', request: { method: 'POST', path: '/v1/auth/token', raw: '{"email": "a@b.c", "password": ' } });
  add({ group: 'body', name: 'JSON with a BOM and NUL', expect: 'refused', request: { method: 'POST', path: '/v1/auth/token', raw: '\ufeff{"email":"\u0000"}' } });
  add({ group: 'body', name: 'wrong content type', expect: 'refused', request: { method: 'POST', path: '/v1/auth/token', raw: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } } });
  add({ group: 'body', name: '__proto__ in body', expect: 'any', check: (res) => (res.text.includes('"role":"admin"') ? 'an admin was registered' : undefined), request: { method: 'POST', path: '/v1/auth/register', raw: '{"__proto__":{"role":"admin"},"email":"proto@example.com","password":"a long enough password","displayName":"p","role":"admin"}' } });
  add({ group: 'body', name: 'unknown route', expect: 'refused', request: { method: 'GET', path: '/v1/../../etc/passwd' } });
  return probes;
}
