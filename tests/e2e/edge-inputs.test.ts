// Issue 13, items 2, 3, 6 and 12 over HTTP against real PostgreSQL: out-of-range dates, cursors
// and revisions above int64 are coded 400s (REST and GraphQL), text that cannot be stored is
// refused before anything is written, bidi controls in file names are not served.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCount } from '../../support/database.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tokenFor } from '../support/audit.js';
import { call } from '../support/http.js';
import { consentingOwner } from '../support/consent.js';

let t: TestApp;
let admin: string;
let user: { userId: string; token: string };

beforeAll(async () => {
  t = await startTestApp('hb_edge_inputs');
  admin = (await tokenFor(t, 'edge-admin@example.com', 'admin')).token;
  user = await tokenFor(t, 'edge-user@example.com', 'user');
  await consentingOwner(t.runtime.eventStore, user.userId);
});
afterAll(async () => {
  await t.stop();
});

const gql = (query: string, token: string, variables?: Record<string, unknown>) =>
  call<{ data?: unknown; errors?: { message: string; extensions: { code: string; status: number } }[] }>(t.baseUrl, 'POST', '/graphql', { token, body: { query, variables } });

async function expectCode(path: string, status: number, code: string, token = admin): Promise<void> {
  const res = await call(t.baseUrl, 'GET', path, { token });
  expect({ path, status: res.status, code: (res.body as { code?: string }).code }).toEqual({ path, status, code });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
}

describe('dates out of the store\'s range (item 2)', () => {
  it('REST: 400 invalid_date, not a 500 from PostgreSQL', async () => {
    await expectCode('/v1/stats?to=0000-01-01', 400, 'invalid_date');
    await expectCode('/v1/stats?from=0000-12-31&to=0001-01-02', 400, 'invalid_date');
    await expectCode('/v1/images?from=0000-01-01T00:00:00Z', 400, 'invalid_date');
    await expectCode('/v1/images?to=0001-01-01T00:00:00%2B01:00', 400, 'invalid_date');
    await expectCode('/v1/images?from=9999-12-31T23:59:59-01:00', 400, 'invalid_date');
    await expectCode('/v1/audit/events?from=0000-01-01T00:00:00Z', 400, 'invalid_date');
    // The range's ends are fine; syntax errors stay the schema's validation_failed.
    for (const ok of ['/v1/stats?from=0001-01-01&to=0001-01-05', '/v1/stats?to=0001-01-05', '/v1/images?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z', '/v1/stats?from=9999-12-01&to=9999-12-31']) {
      expect((await call(t.baseUrl, 'GET', ok, { token: admin })).status, ok).toBe(200);
    }
    await expectCode('/v1/stats?from=2024-02-30', 400, 'validation_failed');
    await expectCode('/v1/stats?from=0001-01-01', 400, 'invalid_range');
  });

  it('GraphQL: the same function, the same codes', async () => {
    const cases: [string, string][] = [
      ['{ stats(to: "0000-01-01") { day } }', 'invalid_date'],
      ['{ stats(from: "0001-01-01") { day } }', 'invalid_range'],
      ['{ stats(from: "tomorrow") { day } }', 'validation_failed'],
      ['{ images(uploadedFrom: "0000-01-01T00:00:00Z") { edges { cursor } } }', 'invalid_date'],
      ['{ images(uploadedTo: "+275760-09-13T00:00:00Z") { edges { cursor } } }', 'validation_failed'],
      ['{ auditEvents(from: "0000-01-01T00:00:00Z") { nextCursor } }', 'invalid_date'],
    ];
    for (const [query, code] of cases) {
      const res = await gql(query, admin);
      expect({ query, status: res.status, code: res.body.errors?.[0]?.extensions.code }).toEqual({ query, status: 400, code });
    }
    const ok = await gql('{ stats(to: "0001-01-05") { day } }', admin);
    expect(ok.body.errors).toBeUndefined();
  });
});

describe('cursors and revisions above int64 (item 3)', () => {
  it('REST: 400 invalid_cursor / invalid_revision on every route that takes one', async () => {
    await expectCode('/v1/audit/events?after=1-9223372036854775808', 400, 'invalid_cursor');
    await expectCode('/v1/audit/events?after=9223372036854775808-1', 400, 'invalid_cursor');
    await expectCode('/v1/audit/export.ndjson?after=18446744073709551615-18446744073709551615', 400, 'invalid_cursor');
    await expectCode('/v1/audit/streams/user-x?fromRevision=9223372036854775808', 400, 'invalid_revision');
    await expectCode('/v1/audit/streams/user-x?fromRevision=99999999999999999999', 400, 'invalid_revision');
    await expectCode('/v1/audit/streams/user-x?fromRevision=-1', 400, 'invalid_revision');
    await expectCode('/v1/images?consistentWith=1-9223372036854775808', 400, 'invalid_cursor');
    await expectCode(`/v1/images/${user.userId}?asOf=1-9223372036854775808`, 400, 'invalid_as_of');
    const live = await call(t.baseUrl, 'GET', '/v1/audit/live', { token: admin, headers: { 'last-event-id': '9223372036854775808-0' } });
    expect(live.status).toBe(400);
    expect(live.body).toMatchObject({ code: 'invalid_cursor' });
    // The largest valid cursor and revision are fine (nothing after them).
    const head = await call<{ events: unknown[] }>(t.baseUrl, 'GET', '/v1/audit/events?after=9223372036854775807-9223372036854775807', { token: admin });
    expect(head.status).toBe(200);
    expect(head.body.events).toEqual([]);
    const stream = await call(t.baseUrl, 'GET', `/v1/audit/streams/user-${user.userId}?fromRevision=9223372036854775807`, { token: admin });
    expect(stream.status).toBe(200);
  });

  it('GraphQL: auditEvents(after) and consistentWith go through the same parser', async () => {
    for (const query of ['{ auditEvents(after: "1-9223372036854775808") { nextCursor } }', '{ auditEvents(after: "18446744073709551615-18446744073709551615") { nextCursor } }', '{ images(consistentWith: "1-9223372036854775808") { edges { cursor } } }']) {
      const res = await gql(query, admin);
      expect({ query, status: res.status, code: res.body.errors?.[0]?.extensions.code }).toEqual({ query, status: 400, code: 'invalid_cursor' });
    }
  });
});

describe('text that cannot be stored (items 6 and 12)', () => {
  const register = (body: Record<string, unknown>) => call(t.baseUrl, 'POST', '/v1/auth/register', { body });

  it('a registration with NUL or a lone surrogate in any field is refused and appends nothing', async () => {
    const before = await eventCount(t.db.pool);
    const good = { email: 'someone@example.com', password: 'a long enough password', displayName: 'Someone' };
    const bad: [Record<string, string>, string][] = [
      [{ ...good, email: 'nul\u0000@example.com' }, 'invalid_text'],
      [{ ...good, email: 'lone\ud800@example.com' }, 'invalid_text'],
      [{ ...good, displayName: 'nul\u0000name' }, 'invalid_text'],
      [{ ...good, displayName: 'lone \udc00 surrogate' }, 'invalid_text'],
      [{ ...good, password: 'a long enough \ud800 password' }, 'invalid_text'],
      [{ ...good, displayName: 'bell\u0007' }, 'invalid_display_name'],
      [{ ...good, displayName: 'line\nbreak' }, 'invalid_display_name'],
      [{ ...good, displayName: 'c1\u0085control' }, 'invalid_display_name'],
    ];
    for (const [body, code] of bad) {
      const at = await eventCount(t.db.pool);
      const res = await register(body);
      const eventsWritten = (await eventCount(t.db.pool)) - at;
      expect({ body, status: res.status, code: (res.body as { code?: string }).code, eventsWritten }).toEqual({ body, status: 400, code, eventsWritten: 0 });
    }
    // The escaped form in raw JSON is the same text.
    const raw = await call(t.baseUrl, 'POST', '/v1/auth/register', { raw: '{"email":"esc@example.com","password":"a long enough password","displayName":"x\\ud800"}' });
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ code: 'invalid_text' });
    expect(await eventCount(t.db.pool)).toBe(before);
    // A valid surrogate pair (an emoji) is text like any other.
    const emoji = await register({ ...good, email: 'emoji@example.com', displayName: 'Smile \ud83d\ude00' });
    expect(emoji.status).toBe(201);
  });

  it('every route refuses it: query strings, GraphQL variables, login', async () => {
    const before = await eventCount(t.db.pool);
    await expectCode('/v1/audit/events?actor=a%00b', 400, 'invalid_text');
    await expectCode('/v1/audit/streams/user-%00x', 400, 'invalid_text');
    const login = await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'edge-user@example.com', password: 'x\ud800xxxxxxxxxxxx' } });
    expect(login.status).toBe(400);
    expect(login.body).toMatchObject({ code: 'invalid_text' });
    const deepKey = await gql('query($v: String) { stats(to: $v) { day } }', admin, { v: 'a\u0000' });
    expect(deepKey.status).toBe(400);
    expect(deepKey.body.errors?.[0]?.extensions.code).toBe('invalid_text');
    expect(await eventCount(t.db.pool)).toBe(before);
  });

  it('the command refuses it too (no HTTP in front): nothing is appended', async () => {
    const { IdentityService } = await import('../../src/commands/identity/identity-service.js');
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    const before = await eventCount(t.db.pool);
    const ctx = { correlationId: 'edge-direct', actor: { id: 'test', kind: 'system' as const } };
    await expect(identity.register({ email: 'direct\u0000@example.com', password: 'a long enough password', displayName: 'x' }, ctx)).rejects.toMatchObject({ code: 'invalid_email' });
    await expect(identity.register({ email: 'direct@example.com', password: 'a long enough password', displayName: 'x\ud800' }, ctx)).rejects.toMatchObject({ code: 'invalid_display_name' });
    await expect(identity.register({ email: 'direct@example.com', password: 'a long enough \udfff password', displayName: 'x' }, ctx)).rejects.toMatchObject({ code: 'invalid_password' });
    expect(await eventCount(t.db.pool)).toBe(before);
  });

  it('file names with bidi controls are served without them (REST and GraphQL)', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'invoice\u202Egnp.exe');
    const up = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: form });
    expect(up.status).toBe(202);
    const { imageId, position } = (await up.json()) as { imageId: string; position: string };
    // A name recorded before the upload removed them (seeded without HTTP) is neutralised when served.
    const old = await t.images.upload(
      { ownerId: user.userId, filename: 'old\u2066name\u2069\u200f\u061c.png', contentType: 'image/png', data: png, width: 8, height: 8 },
      { correlationId: 'edge-seed', actor: { id: user.userId, kind: 'user', role: 'user' } },
    );
    const { positionToCursor } = await import('../../src/eventstore/position.js');
    const list = await call<{ items: { imageId: string; filename: string }[] }>(t.baseUrl, 'GET', `/v1/images?consistentWith=${positionToCursor(old.position)}`, { token: user.token });
    const names = Object.fromEntries(list.body.items.map((i) => [i.imageId, i.filename]));
    expect(names[imageId]).toBe('invoicegnp.exe');
    expect(names[old.imageId]).toBe('oldname.png');
    const one = await call<{ filename: string }>(t.baseUrl, 'GET', `/v1/images/${imageId}?consistentWith=${position}`, { token: user.token });
    expect(one.body.filename).toBe('invoicegnp.exe');
    const g = await gql(`{ image(id: "${old.imageId}") { filename } }`, user.token);
    expect(g.body.data).toEqual({ image: { filename: 'oldname.png' } });
    const asOf = await call<{ filename: string }>(t.baseUrl, 'GET', `/v1/images/${old.imageId}?asOf=${positionToCursor(old.position)}`, { token: user.token });
    expect(asOf.body.filename).toBe('oldname.png');
  });
});
