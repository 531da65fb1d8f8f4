// The key-encryption keys (KEKs) that wrap every data key. Loaded like the JWT key: a file named
// by PRIVACY_KEK_FILE, or (outside production) a development file created on first use.
//
// File format (JSON): {"active": "<kid>", "keys": {"<kid>": "<base64 of 32 random bytes>", …}}.
// Rotation: add a new key, make it active, run `facetrail privacy:rewrap` (every data key is then
// wrapped under the active KEK), then remove the old key from the file. A KEK that is removed can
// no longer unwrap anything wrapped under it — which is also what bounds how long a shredded data
// key survives in a backup (ARCHITECTURE.md, "Crypto-shredding").

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileOnce } from '../write-file-once.js';
import { DATA_KEY_BYTES } from './aead.js';
import { KekConfigError } from './errors.js';
import { fileErrorReason } from '../file-error-reason.js';

export interface KekRing {
  /** The KEK new data keys are wrapped under. */
  readonly activeKid: string;
  /** A KEK by id, or undefined when the file no longer holds it. */
  get(kid: string): Buffer | undefined;
  readonly kids: readonly string[];
  /** Where it came from, for the start-up log. */
  readonly source: 'file' | 'dev-file' | 'dev-generated';
}

export interface KekOptions {
  /** PRIVACY_KEK_FILE. */
  file: string | undefined;
  /** Where a development KEK file is kept, e.g. `.keys/kek-dev.json`. */
  devFile: string;
  allowDev: boolean;
}

const KID = /^[A-Za-z0-9._-]{1,64}$/;

export async function loadKekRing(opts: KekOptions): Promise<KekRing> {
  if (opts.file !== undefined && opts.file !== '') {
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (error) {
      throw new KekConfigError(`PRIVACY_KEK_FILE: cannot read ${opts.file}: ${fileErrorReason(error)}`);
    }
    return parseKekFile(text, `PRIVACY_KEK_FILE ${opts.file}`, 'file');
  }
  if (!opts.allowDev) throw new KekConfigError('No key-encryption key configured: set PRIVACY_KEK_FILE (see README, "Privacy")');
  return loadOrCreateDev(opts.devFile);
}

export function parseKekFile(text: string, what: string, source: KekRing['source']): KekRing {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KekConfigError(`${what} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null) throw new KekConfigError(`${what} must be a JSON object {"active": …, "keys": {…}}`);
  const { active, keys } = doc as { active?: unknown; keys?: unknown };
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw new KekConfigError(`${what}: "keys" must be an object of key id -> base64 key`);
  const ring = new Map<string, Buffer>();
  for (const [kid, value] of Object.entries(keys)) {
    if (!KID.test(kid)) throw new KekConfigError(`${what}: key id ${JSON.stringify(kid)} must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    const text = typeof value === 'string' ? value : '';
    const key = Buffer.from(text, 'base64');
    if (key.length !== DATA_KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
      throw new KekConfigError(`${what}: key ${kid} must be the base64 of exactly ${DATA_KEY_BYTES} bytes`);
    }
    ring.set(kid, key);
  }
  if (typeof active !== 'string' || !ring.has(active)) throw new KekConfigError(`${what}: "active" must name one of the keys (${[...ring.keys()].join(', ') || 'none'})`);
  return { activeKid: active, get: (kid) => ring.get(kid), kids: [...ring.keys()], source };
}

async function loadOrCreateDev(file: string): Promise<KekRing> {
  const existing = await readIfPresent(file);
  if (existing !== undefined) return parseKekFile(existing, `development KEK ${file}`, 'dev-file');
  const kid = `dev-${new Date().toISOString().slice(0, 10)}`;
  const text = `${JSON.stringify({ active: kid, keys: { [kid]: randomBytes(DATA_KEY_BYTES).toString('base64') } })}\n`;
  if (await writeFileOnce(file, text)) return parseKekFile(text, `development KEK ${file}`, 'dev-generated');
  // A concurrent first start created it: keep the winner's key.
  const winner = await readIfPresent(file);
  if (winner === undefined) throw new KekConfigError(`development KEK ${file} vanished right after it was created`);
  return parseKekFile(winner, `development KEK ${file}`, 'dev-file');
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new KekConfigError(`development KEK ${file}: cannot read: ${fileErrorReason(error)}`);
  }
}
