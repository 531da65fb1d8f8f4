// A key-encryption key file (PRIVACY_KEK_FILE) for processes a test or the cluster demo starts in
// production mode, written once per process into the OS temp directory.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

let file: string | undefined;

export function testKekFile(): string {
  if (file) return file;
  const dir = mkdtempSync(path.join(tmpdir(), 'facetrail-kek-'));
  file = path.join(dir, 'kek.json');
  writeFileSync(file, `${JSON.stringify({ active: 'test-1', keys: { 'test-1': randomBytes(32).toString('base64') } })}\n`, { mode: 0o600 });
  return file;
}
