import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSigningKeys } from '../../../src/auth/keys.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facetrail-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ed25519Pem(): { pem: string; x: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('no x');
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), x };
}

describe('loadSigningKeys', () => {
  it('generates a dev key, persists it with mode 0600, then reloads it with the same kid', async () => {
    const devKeyFile = join(dir, 'nested', '.keys', 'jwt-dev.json');
    const first = await loadSigningKeys({ devKeyFile, allowDevKey: true });
    expect(first.source).toBe('dev-generated');
    expect(first.generatedForDevelopment).toBe(true);
    expect(first.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: first.kid });
    expect(first.publicJwk).not.toHaveProperty('d');
    expect(first.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: first.publicJwk.x }));

    if (process.platform !== 'win32') expect((await stat(devKeyFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(devKeyFile, 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: first.publicJwk.x });
    expect(typeof stored.d).toBe('string');

    const second = await loadSigningKeys({ devKeyFile, allowDevKey: true });
    expect(second.source).toBe('dev-file');
    expect(second.generatedForDevelopment).toBe(true);
    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);
  });

  it('concurrent first loads agree on one dev key', async () => {
    const devKeyFile = join(dir, 'jwt-dev.json');
    const loaded = await Promise.all([1, 2, 3, 4].map(() => loadSigningKeys({ devKeyFile, allowDevKey: true })));
    expect(new Set(loaded.map((k) => k.kid)).size).toBe(1);
    expect(await readdir(dir)).toEqual(['jwt-dev.json']); // no temporary files left behind
  });

  it('refuses a corrupt dev key file instead of overwriting it', async () => {
    const devKeyFile = join(dir, 'jwt-dev.json');
    await writeFile(devKeyFile, '{"kty":"OKP"');
    await expect(loadSigningKeys({ devKeyFile, allowDevKey: true })).rejects.toThrow(/not a valid Ed25519 private JWK/);
    expect(await readFile(devKeyFile, 'utf8')).toBe('{"kty":"OKP"');
  });

  it('uses the PEM from JWT_PRIVATE_KEY first, and never touches the dev key file', async () => {
    const { pem, x } = ed25519Pem();
    const devKeyFile = join(dir, 'jwt-dev.json');
    const keys = await loadSigningKeys({ privateKeyPem: pem, privateKeyFile: join(dir, 'absent.pem'), devKeyFile, allowDevKey: true });
    expect(keys.source).toBe('env');
    expect(keys.generatedForDevelopment).toBe(false);
    expect(keys.publicJwk.x).toBe(x);
    expect(keys.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }));
    expect(keys.privateKey.type).toBe('private');
    await expect(stat(devKeyFile)).rejects.toThrow(/ENOENT/);
  });

  it('accepts a PEM whose newlines are written as literal \\n (as in .env files)', async () => {
    const { pem, x } = ed25519Pem();
    const keys = await loadSigningKeys({ privateKeyPem: pem.trimEnd().replaceAll('\n', '\\n'), devKeyFile: join(dir, 'k.json'), allowDevKey: false });
    expect(keys.publicJwk.x).toBe(x);
  });

  it('reads the PEM from JWT_PRIVATE_KEY_FILE', async () => {
    const { pem, x } = ed25519Pem();
    const file = join(dir, 'jwt.pem');
    await writeFile(file, pem);
    const keys = await loadSigningKeys({ privateKeyFile: file, devKeyFile: join(dir, 'k.json'), allowDevKey: false });
    expect(keys.source).toBe('file');
    expect(keys.publicJwk.x).toBe(x);
  });

  it('a bad PEM fails with an error naming the variable', async () => {
    const devKeyFile = join(dir, 'k.json');
    await expect(loadSigningKeys({ privateKeyPem: 'not a pem', devKeyFile, allowDevKey: true })).rejects.toThrow(/^JWT_PRIVATE_KEY is not/);
    const broken = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    await expect(loadSigningKeys({ privateKeyPem: broken, devKeyFile, allowDevKey: true })).rejects.toThrow(/^JWT_PRIVATE_KEY is not a valid PKCS8 PEM/);

    const file = join(dir, 'bad.pem');
    await writeFile(file, broken);
    await expect(loadSigningKeys({ privateKeyFile: file, devKeyFile, allowDevKey: true })).rejects.toThrow(/^JWT_PRIVATE_KEY_FILE is not a valid/);
    await expect(loadSigningKeys({ privateKeyFile: join(dir, 'missing.pem'), devKeyFile, allowDevKey: true })).rejects.toThrow(
      /^JWT_PRIVATE_KEY_FILE: cannot read .*missing\.pem: no such file or directory$/,
    );
  });

  it('a key that is not Ed25519 fails naming the variable, without echoing the key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const error = await loadSigningKeys({ privateKeyPem: rsa, devKeyFile: join(dir, 'k.json'), allowDevKey: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('JWT_PRIVATE_KEY must be an Ed25519 private key, got rsa');
  });

  it('without a key and without allowDevKey it throws naming both variables', async () => {
    const devKeyFile = join(dir, 'k.json');
    const error = await loadSigningKeys({ devKeyFile, allowDevKey: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/JWT_PRIVATE_KEY\b/);
    expect((error as Error).message).toMatch(/JWT_PRIVATE_KEY_FILE/);
    await expect(stat(devKeyFile)).rejects.toThrow(/ENOENT/);
    // Empty values count as unset.
    await expect(loadSigningKeys({ privateKeyPem: '', privateKeyFile: '', devKeyFile, allowDevKey: false })).rejects.toThrow(/JWT_PRIVATE_KEY_FILE/);
  });
});
