// The console's checkpoint signature check (web/src/screens/auditor/checkpoint-signature.ts):
// a checkpoint the notary's signer signed verifies against the JWKS; one signed by another key,
// one whose members do not repeat its signed payload, one with a key id the JWKS lacks, and one
// with another typ are refused, each with its reason. The JWKS is served by a stand-in fetch.

import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ed25519CheckpointSigner, type Checkpoint, type CheckpointPayload } from '../../../src/notary/checkpoint.js';
import { checkSignature } from '../../../web/src/screens/auditor/checkpoint-signature.js';

const payload: CheckpointPayload = { treeSize: 12, rootHash: 'x'.repeat(43), position: '100-5', signedAt: '2026-12-03T11:00:00.000Z' };
let service: Awaited<ReturnType<typeof generateKeyPair>>;
let other: Awaited<ReturnType<typeof generateKeyPair>>;

async function signed(by: typeof service, kid: string, p: CheckpointPayload = payload): Promise<Checkpoint> {
  return { ...p, kid, jws: await ed25519CheckpointSigner({ privateKey: by.privateKey, kid }).sign(p) };
}

beforeAll(async () => {
  service = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwk = { ...(await exportJWK(service.publicKey)), kid: 'service-1', alg: 'EdDSA', use: 'sig' };
  vi.stubGlobal('fetch', (url: string) => Promise.resolve(url === '/.well-known/jwks.json' ? Response.json({ keys: [jwk] }) : new Response(null, { status: 404 })));
});
afterAll(() => vi.unstubAllGlobals());

describe("the console's checkpoint signature check", () => {
  it('accepts a checkpoint signed by the service key and answers its signed payload', async () => {
    expect(await checkSignature(await signed(service, 'service-1'))).toEqual({ ok: true, payload });
  });

  it('refuses another key, a key id not published, members that differ from the payload, another typ', async () => {
    expect(await checkSignature(await signed(other, 'service-1'))).toEqual({ ok: false, reason: 'the signature does not verify' });
    expect(await checkSignature(await signed(service, 'service-2'))).toMatchObject({ ok: false, reason: expect.stringContaining('no service key service-2') as unknown });
    expect(await checkSignature({ ...(await signed(service, 'service-1')), treeSize: 13 })).toEqual({ ok: false, reason: 'the checkpoint does not repeat its signed payload' });
    const cp = await signed(service, 'service-1');
    const [, p, s] = cp.jws.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'service-1', typ: 'JWT' })).toString('base64url');
    expect(await checkSignature({ ...cp, jws: `${header}.${p}.${s}` })).toMatchObject({ ok: false, reason: expect.stringContaining('unexpected JWS header') as unknown });
    expect(await checkSignature({ ...cp, jws: 'not.a-jws' })).toEqual({ ok: false, reason: 'the JWS is malformed' });
  });
});
