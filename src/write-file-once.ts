// Creates a file unless it exists, so that concurrent first starts agree on one content: written
// aside, then hard-linked into place (the link fails if another process got there first, and
// nobody ever sees a half-written file). For the development key files (JWT, KEK).

import { randomUUID } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** True when this call created `file` with `text`; false when it existed already (keep what is there). */
export async function writeFileOnce(file: string, text: string): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
