// Erasure that reaches the log (issue 15 item 4), end to end over HTTP: an account erased by its
// user (POST /v1/me/erasure), an image erased by DELETE /v1/images/{id}, an account erased by an
// admin; the receipts verify against the JWKS and a tampered one does not; an execution that
// crashes between two steps is completed by the erasure executor (the reactor), once; a repeated
// request returns the same erasure and receipt.

import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/commands/identity/identity-service.js';
import { ErasureService, RECEIPT_TYP, type ErasureReceiptClaims } from '../../src/commands/privacy/erasure-service.js';
import type { RecordedEvent } from '../../src/eventstore/types.js';
import { ProjectorRunner } from '../../src/projections/runner.js';
import { erasureExecutorConsumer, executingErasureService } from '../../src/workers/privacy/erasure-executor.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { readSample } from '../../support/sample-photos.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { registerConsenting } from '../support/consent.js';
import { call } from '../support/http.js';
import { testLogger } from '../support/silent-logger.js';

let t: TestApp;
let executor: ProjectorRunner | undefined;
const password = 'a perfectly fine password';
// Descriptor values nobody else has, to look for after the erasure.
const MARK = [0.123456789012, -0.987654321098, 0.555555555551];

function startExecutor(): void {
  const service = executingErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, pool: t.runtime.pool, blobs: new BlobStore(t.runtime.pool) });
  executor ??= new ProjectorRunner(t.runtime.config.databaseUrl, t.runtime.eventStore, erasureExecutorConsumer(t.runtime.eventStore, service), testLogger, { errorBackoffMs: 50 }).start();
}

async function streamEvents(stream: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of t.runtime.eventStore.readStream(stream)) out.push(e);
  return out;
}

async function upload(token: string, name = 'sample1.jpg'): Promise<{ imageId: string; position: string }> {
  const sample = await readSample(1);
  const f = new FormData();
  f.append('file', new Blob([sample], { type: 'image/jpeg' }), name);
  const res = await fetch(`${t.baseUrl}/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: f });
  expect(res.status).toBe(202);
  return (await res.json()) as { imageId: string; position: string };
}

/** Records an analysis with faces (as a worker would) so that there is biometric data to erase. */
async function analyse(imageId: string): Promise<void> {
  const [uploaded] = await streamEvents(`image-${imageId}`);
  const descriptor = [...MARK, ...Array.from({ length: 125 }, (_, i) => i / 1000)];
  await t.images.recordAnalysis(
    imageId,
    {
      requestId: uploaded!.id,
      model: { name: 'ssd-mobilenet-v1', version: 'test', sha256: 'f'.repeat(64) },
      faces: [{ box: { x: 1, y: 2, width: 30, height: 40 }, score: 0.99, landmarks: Array.from({ length: 68 }, (_, i) => [i, i] as [number, number]), descriptor }],
      durationMs: 5,
    },
    { actor: { id: 'worker', kind: 'worker' }, correlationId: randomUUID() },
  );
}

async function jwks(): Promise<ReturnType<typeof createLocalJWKSet>> {
  const res = await call<JSONWebKeySet>(t.baseUrl, 'GET', '/.well-known/jwks.json');
  return createLocalJWKSet(res.body);
}

async function verifyReceipt(receipt: string): Promise<ErasureReceiptClaims> {
  const { payload, protectedHeader } = await jwtVerify(receipt, await jwks(), { typ: RECEIPT_TYP, issuer: t.runtime.config.auth.issuer });
  expect(protectedHeader.alg).toBe('EdDSA');
  return payload.erasure as ErasureReceiptClaims;
}

/** Waits until the read models have everything of the erasure (its ErasureCompleted is its last event). */
async function projected(erasureId: string): Promise<void> {
  let last: RecordedEvent['position'] | undefined;
  for await (const e of t.runtime.eventStore.readStream(`erasure-${erasureId}`)) last = e.position;
  expect(await t.runtime.checkpoints.waitFor(['users', 'images', 'sessions'], last!, 15_000)).toBe(true);
}

async function logText(): Promise<string> {
  const { rows } = await t.runtime.pool.query<{ t: string }>("select coalesce(string_agg(data::text, '\n'), '') as t from es.events");
  return rows[0]!.t;
}

beforeAll(async () => {
  t = await startTestApp('erasure');
});

afterAll(async () => {
  await executor?.stop();
  await t?.stop();
});

describe('erasure', () => {
  it('answers 202 pending with a Location while no executor has run it; the receipt once it has', async () => {
    const frank = await registerConsenting(t.baseUrl, { email: 'frank-erase@example.com', password });
    const other = await registerConsenting(t.baseUrl, { email: 'other-erase@example.com', password });
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    await identity.register({ email: 'root-pending@example.com', password, displayName: 'Root', role: 'admin' }, { correlationId: randomUUID(), actor: { id: 'cli', kind: 'system' } });
    const admin = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'root-pending@example.com', password } })).body.accessToken;
    const res = await fetch(`${t.baseUrl}/v1/me/erasure`, { method: 'POST', headers: { authorization: `Bearer ${frank.token}` } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { erasureId: string; status: string; receipt?: string };
    expect(body.status).toBe('pending');
    expect(body.receipt).toBeUndefined();
    expect(res.headers.get('location')).toBe(`/v1/me/erasure/${body.erasureId}`);
    const mine = await call<{ status: string }>(t.baseUrl, 'GET', `/v1/me/erasure/${body.erasureId}`, { token: frank.token });
    expect(mine.status).toBe(202);
    expect(mine.body.status).toBe('pending');
    const theirs = await call(t.baseUrl, 'GET', `/v1/me/erasure/${body.erasureId}`, { token: other.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toMatchObject({ code: 'erasure_not_found' });

    startExecutor();
    const api = new ErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, blobs: new BlobStore(t.runtime.pool), signer: t.runtime.tokens, checkpoints: t.runtime.checkpoints });
    expect(await api.awaitReceipt(body.erasureId, 20_000)).toBeDefined();
    const done = await call<{ status: string; receipt: string }>(t.baseUrl, 'GET', `/v1/admin/erasures/${body.erasureId}`, { token: admin });
    expect(done.status).toBe(200);
    expect(await verifyReceipt(done.body.receipt)).toMatchObject({ id: body.erasureId, scope: 'account', subject: frank.userId });
  });

  it('resumes an execution that crashed between two steps: the executor completes it, once', async () => {
    const carol = await registerConsenting(t.baseUrl, { email: 'carol-erase@example.com', password });
    const { imageId } = await upload(carol.token);
    await analyse(imageId);
    const crashing = executingErasureService({
      store: t.runtime.eventStore,
      keys: t.runtime.privacy.keys,
      pool: t.runtime.pool,
      blobs: new BlobStore(t.runtime.pool),
      failAfter: (step) => {
        if (step === 'facts') throw new Error('simulated crash after the facts');
      },
    });
    const { erasureId } = await crashing.request({ scope: 'account', subjectId: carol.userId }, 'user_request', { actor: { id: carol.userId, kind: 'user', role: 'user' }, correlationId: randomUUID() });
    await expect(crashing.execute(erasureId)).rejects.toThrow(/simulated crash/);
    expect((await crashing.state(erasureId)).status).toBe('requested');
    expect((await streamEvents(`user-${carol.userId}`)).filter((e) => e.type === 'UserErased')).toHaveLength(1);

    startExecutor();
    const api = new ErasureService({ store: t.runtime.eventStore, keys: t.runtime.privacy.keys, blobs: new BlobStore(t.runtime.pool), signer: t.runtime.tokens, checkpoints: t.runtime.checkpoints });
    const receipt = await api.awaitReceipt(erasureId, 20_000);
    expect(receipt).toBeDefined();
    expect(await verifyReceipt(receipt!.receipt)).toMatchObject({ id: erasureId, scope: 'account', subject: carol.userId });
    const state = await crashing.state(erasureId);
    expect(state.status).toBe('completed');
    const erasure = await streamEvents(`erasure-${erasureId}`);
    const kids = erasure.filter((e) => e.type === 'KeyShredded').map((e) => (e.data as { kid: string }).kid);
    expect(kids.length).toBeGreaterThanOrEqual(3); // profile, content, face_analysis
    expect(new Set(kids).size).toBe(kids.length);
    expect(erasure.filter((e) => e.type === 'ErasureCompleted')).toHaveLength(1);
    expect((await streamEvents(`user-${carol.userId}`)).filter((e) => e.type === 'UserErased')).toHaveLength(1);
    expect((await streamEvents(`image-${imageId}`)).filter((e) => e.type === 'ImageErased')).toHaveLength(1);
  });

  it('erases an account on its own request: receipt, log, read models, blobs, token, login', async () => {
    startExecutor();
    const email = 'alice-erase@example.com';
    const alice = await registerConsenting(t.baseUrl, { email, password, displayName: 'Alice Erasable' });
    const { imageId } = await upload(alice.token, 'alice-holiday.jpg');
    await analyse(imageId);
    const [uploaded] = await streamEvents(`image-${imageId}`);
    const sha256 = (uploaded!.data as { sha256: string }).sha256;

    const res = await call<{ erasureId: string; status: string; receipt?: string; position: string | null }>(t.baseUrl, 'POST', '/v1/me/erasure', { token: alice.token });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('completed');
    const claims = await verifyReceipt(res.body.receipt!);
    expect(claims).toMatchObject({ id: res.body.erasureId, scope: 'account', subject: alice.userId, reason: 'user_request' });
    expect(claims.keys.map((k) => k.purpose).sort()).toEqual(['content', 'face_analysis', 'profile']);
    expect(Object.keys(claims.positions.facts).sort()).toEqual([`image-${imageId}`, `user-${alice.userId}`].sort());

    // The token stops working at once; the login is refused like an unknown address.
    expect((await call(t.baseUrl, 'GET', '/v1/images', { token: alice.token })).status).toBe(401);
    expect((await call(t.baseUrl, 'POST', '/v1/auth/token', { body: { email, password } })).status).toBe(401);

    // The log keeps the facts; the personal content reads as erased.
    const user = await streamEvents(`user-${alice.userId}`);
    expect(user[0]!.data).toMatchObject({ email: { $erased: true }, displayName: { $erased: true } });
    const image = await streamEvents(`image-${imageId}`);
    expect(image.find((e) => e.type === 'ImageUploaded')!.data).toMatchObject({ filename: { $erased: true }, sha256 });
    expect(image.find((e) => e.type === 'ImageAnalyzed')!.data).toMatchObject({ faces: { $erased: true }, faceCount: 1 });
    const stored = await logText();
    expect(stored).not.toContain(email);
    expect(stored).not.toContain('alice-holiday');
    expect(stored).not.toContain(String(MARK[0]));

    // Read models and bytes.
    await projected(res.body.erasureId);
    expect((await t.runtime.pool.query('select 1 from rm.users where user_id = $1', [alice.userId])).rowCount).toBe(0);
    expect((await t.runtime.pool.query('select 1 from rm.images where image_id = $1', [imageId])).rowCount).toBe(0);
    expect((await t.runtime.pool.query('select 1 from rm.faces where image_id = $1', [imageId])).rowCount).toBe(0);
    expect((await t.runtime.pool.query('select 1 from blobs.blobs where sha256 = $1', [sha256])).rowCount).toBe(0);

    // A tampered receipt fails: one character of the payload changed.
    const [h, p, s] = res.body.receipt!.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { erasure: { subject: string } };
    payload.erasure.subject = randomUUID();
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await expect(jwtVerify(tampered, await jwks(), { typ: RECEIPT_TYP })).rejects.toThrow();
    await expect(t.runtime.tokens.verifyStatement(RECEIPT_TYP, tampered)).rejects.toThrow();
    expect((await t.runtime.tokens.verifyStatement(RECEIPT_TYP, res.body.receipt!)).jti).toBe(res.body.erasureId);

    // Asked again (by an admin: the user's token is gone): the same erasure and receipt, nothing new recorded.
    const identity = new IdentityService(t.runtime.eventStore, t.runtime.tokens);
    await identity.register({ email: 'root-erase@example.com', password, displayName: 'Root', role: 'admin' }, { correlationId: randomUUID(), actor: { id: 'cli', kind: 'system' } });
    const admin = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'root-erase@example.com', password } })).body.accessToken;
    const before = (await streamEvents(`erasure-${res.body.erasureId}`)).length;
    const again = await call<{ erasureId: string; status: string; receipt?: string; position: string | null }>(t.baseUrl, 'POST', `/v1/admin/users/${alice.userId}/erasure`, { token: admin });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ erasureId: res.body.erasureId, status: 'completed', position: null, receipt: res.body.receipt });
    expect((await streamEvents(`erasure-${res.body.erasureId}`)).length).toBe(before);
  });

  it('erases an image on DELETE: same answer plus the receipt; row, faces and bytes gone', async () => {
    startExecutor();
    const bob = await registerConsenting(t.baseUrl, { email: 'bob-erase@example.com', password });
    const { imageId } = await upload(bob.token, 'bob-secret-name.jpg');
    await analyse(imageId);
    const sha256 = ((await streamEvents(`image-${imageId}`))[0]!.data as { sha256: string }).sha256;
    const mallory = await registerConsenting(t.baseUrl, { email: 'mallory-erase@example.com', password });
    const denied = await call(t.baseUrl, 'DELETE', `/v1/images/${imageId}`, { token: mallory.token });
    expect(denied.status).toBe(404);
    expect(denied.body).toMatchObject({ code: 'image_not_found' });

    const res = await call<{ imageId: string; position: string | null; erasureId: string; erasureStatus: string; receipt?: string }>(t.baseUrl, 'DELETE', `/v1/images/${imageId}`, { token: bob.token });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ imageId, erasureStatus: 'completed' });
    expect(typeof res.body.position).toBe('string');
    const claims = await verifyReceipt(res.body.receipt!);
    expect(claims).toMatchObject({ scope: 'image', imageId, subject: bob.userId });
    expect(claims.keys.map((k) => k.purpose).sort()).toEqual(['content', 'face_analysis']);

    const image = await streamEvents(`image-${imageId}`);
    expect(image.find((e) => e.type === 'ImageAnalyzed')!.data).toMatchObject({ faces: { $erased: true } });
    expect(image.find((e) => e.type === 'ImageUploaded')!.data).toMatchObject({ filename: { $erased: true } });
    await projected(res.body.erasureId);
    expect((await t.runtime.pool.query('select 1 from rm.images where image_id = $1', [imageId])).rowCount).toBe(0);
    expect((await t.runtime.pool.query('select 1 from blobs.blobs where sha256 = $1', [sha256])).rowCount).toBe(0);
    expect((await call(t.baseUrl, 'GET', `/v1/images/${imageId}`, { token: bob.token })).status).toBe(404);
    // The account itself stays.
    expect((await call(t.baseUrl, 'GET', '/v1/images', { token: bob.token })).status).toBe(200);
  });

  it('an admin erases a user; a non-admin may not (403, nothing written)', async () => {
    startExecutor();
    const dave = await registerConsenting(t.baseUrl, { email: 'dave-erase@example.com', password });
    const eve = await registerConsenting(t.baseUrl, { email: 'eve-erase@example.com', password });
    const refused = await call(t.baseUrl, 'POST', `/v1/admin/users/${dave.userId}/erasure`, { token: eve.token });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });

    const admin = (await call<{ accessToken: string }>(t.baseUrl, 'POST', '/v1/auth/token', { body: { email: 'root-erase@example.com', password } })).body.accessToken;
    const res = await call<{ erasureId: string; status: string; receipt?: string }>(t.baseUrl, 'POST', `/v1/admin/users/${dave.userId}/erasure`, { token: admin });
    expect(res.body.status).toBe('completed');
    expect(res.status).toBe(202);
    const claims = await verifyReceipt(res.body.receipt!);
    expect(claims).toMatchObject({ scope: 'account', subject: dave.userId, reason: 'admin_request' });
    // Dave's session was ended by the erasure (SessionRevoked): once projected, his token is refused.
    await projected(res.body.erasureId);
    expect((await call(t.baseUrl, 'GET', '/v1/images', { token: dave.token })).status).toBe(401);
    // …and says why: the account was erased (not an admin's revocation).
    const revocations: unknown[] = [];
    for await (const e of t.runtime.eventStore.readAll({ filter: { eventTypes: ['SessionRevoked'] } })) {
      revocations.push(e.data);
    }
    expect(revocations).toContainEqual({ reason: 'account_erased' });
    const unknown = await call(t.baseUrl, 'POST', `/v1/admin/users/${randomUUID()}/erasure`, { token: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'user_not_found' });
  });
});
