import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileOnce } from '../write-file-once.js';
import { calculateJwkThumbprint, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { fileErrorReason } from '../file-error-reason.js';

export interface KeyLoaderOptions {
  /** Value of JWT_PRIVATE_KEY: an Ed25519 private key as PKCS8 PEM text. */
  privateKeyPem?: string | undefined;
  /** Value of JWT_PRIVATE_KEY_FILE: path of a PKCS8 PEM file. */
  privateKeyFile?: string | undefined;
  /** Where a development key pair is kept as JWK JSON, e.g. `.keys/jwt-dev.json`. */
  devKeyFile: string;
  /** Whether to fall back to (and create) the development key when no key is configured. */
  allowDevKey: boolean;
}

export type KeySource = 'env' | 'file' | 'dev-file' | 'dev-generated';

/** What TokenService needs. `publicJwk` holds public parameters only. */
export interface SigningKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

export interface LoadedKeys extends SigningKeys {
  source: KeySource;
  /** True when the development key is used (source dev-file or dev-generated): the caller should warn. */
  generatedForDevelopment: boolean;
}

const ENV_PEM = 'JWT_PRIVATE_KEY';
const ENV_FILE = 'JWT_PRIVATE_KEY_FILE';

/** Loads the Ed25519 (EdDSA) signing key: JWT_PRIVATE_KEY, then JWT_PRIVATE_KEY_FILE, then the dev key. */
export async function loadSigningKeys(options: KeyLoaderOptions): Promise<LoadedKeys> {
  if (options.privateKeyPem !== undefined && options.privateKeyPem !== '') {
    return fromKeyObject(parsePem(options.privateKeyPem, ENV_PEM), 'env');
  }
  if (options.privateKeyFile !== undefined && options.privateKeyFile !== '') {
    let pem: string;
    try {
      pem = await readFile(options.privateKeyFile, 'utf8');
    } catch (error) {
      throw new Error(`${ENV_FILE}: cannot read ${options.privateKeyFile}: ${fileErrorReason(error)}`);
    }
    return fromKeyObject(parsePem(pem, ENV_FILE), 'file');
  }
  if (!options.allowDevKey) {
    throw new Error(`No JWT signing key configured: set ${ENV_PEM} (PKCS8 PEM) or ${ENV_FILE} (path to a PEM file)`);
  }
  return loadOrCreateDevKey(options.devKeyFile);
}

function parsePem(pem: string, variable: string): KeyObject {
  // Environment values often carry the newlines as literal "\n".
  const text = pem.includes('\n') ? pem : pem.replaceAll('\\n', '\n');
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new Error(`${variable} is not a PKCS8 PEM private key (expected "-----BEGIN PRIVATE KEY-----")`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new Error(`${variable} is not a valid PKCS8 PEM private key`);
  }
  return requireEd25519(key, variable);
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${what} must be an Ed25519 private key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

async function fromKeyObject(key: KeyObject, source: KeySource): Promise<LoadedKeys> {
  const { kty, crv, x, d } = key.export({ format: 'jwk' });
  if (kty !== 'OKP' || crv !== 'Ed25519' || x === undefined || d === undefined) {
    throw new Error('unexpected Ed25519 JWK export');
  }
  const bare: JWK = { kty, crv, x };
  const kid = await calculateJwkThumbprint(bare, 'sha256');
  const publicJwk: JWK = { ...bare, kid, alg: 'EdDSA', use: 'sig' };
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ kty, crv, x, d }, 'EdDSA'),
    importJWK(bare, 'EdDSA'),
  ]);
  if (!isCryptoKey(privateKey) || !isCryptoKey(publicKey)) throw new Error('unexpected key import result');
  const dev = source === 'dev-file' || source === 'dev-generated';
  return { privateKey, publicKey, publicJwk, kid, source, generatedForDevelopment: dev };
}

function isCryptoKey(key: CryptoKey | Uint8Array): key is CryptoKey {
  return !(key instanceof Uint8Array);
}

async function loadOrCreateDevKey(file: string): Promise<LoadedKeys> {
  const existing = await readDevKey(file);
  if (existing !== undefined) return fromKeyObject(existing, 'dev-file');

  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (await writeFileOnce(file, `${JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d })}\n`)) return fromKeyObject(privateKey, 'dev-generated');
  // Another process created it first: use its key.
  const winner = await readDevKey(file);
  if (winner === undefined) throw new Error(`development JWT key ${file} vanished right after it was created`);
  return fromKeyObject(winner, 'dev-file');
}

/** The key in the dev key file, or undefined when the file does not exist. */
async function readDevKey(file: string): Promise<KeyObject | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new Error(`development JWT key ${file}: cannot read: ${fileErrorReason(error)}`);
  }
  let key: KeyObject;
  try {
    const jwk = JSON.parse(text) as unknown;
    if (typeof jwk !== 'object' || jwk === null || !('d' in jwk) || !('x' in jwk)) throw new Error('not a private JWK');
    key = createPrivateKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' });
    // The stored public part must belong to the private part.
    if (createPublicKey(key).export({ format: 'jwk' }).x !== jwk.x) throw new Error('x does not match d');
  } catch {
    throw new Error(`development JWT key ${file} is not a valid Ed25519 private JWK; delete it to generate a new one`);
  }
  return requireEd25519(key, `development JWT key ${file}`);
}

type JsonWebKeyInput = Extract<Parameters<typeof createPrivateKey>[0], { format: 'jwk' }>;
