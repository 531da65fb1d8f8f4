// `facetrail privacy:rewrap`: wraps every live data key and system secret under the active
// key-encryption key of PRIVACY_KEK_FILE (KEK rotation: add the new key, make it active, run
// this, then remove the old key from the file).

import { loadConfig } from '../config.js';
import { assertReachable } from '../db/connection-error.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { loadKekRing } from '../privacy/kek.js';
import { KeyStore } from '../privacy/key-store.js';
import type { CommandOptions } from './command.js';

export const summary = 'wrap every data key under the active key-encryption key (KEK rotation)';
export const usage = [
  'usage: facetrail privacy:rewrap',
  '',
  'KEK rotation: add the new key to PRIVACY_KEK_FILE and make it active, run this, then remove the',
  'old key from the file. Exit 1 while any key is still wrapped under another key.',
].join('\n');
export const options = {} satisfies CommandOptions;

export async function run(_args: string[]): Promise<number> {
  const config = loadConfig();
  const keks = await loadKekRing({ file: config.privacy.kekFile, devFile: config.privacy.devKekFile, allowDev: config.nodeEnv !== 'production' });
  const pool = createPool(config.databaseUrl, { max: 2, applicationName: 'facetrail-cli-rewrap' });
  const keys = new KeyStore(pool, keks, { cacheEntries: 1, cacheTtlMs: 1_000 });
  try {
    await assertReachable(pool, config.databaseUrl);
    await migrate(pool);
    const n = await keys.rewrapAll();
    console.log(`re-wrapped ${n} key(s) under ${keks.activeKid}; key ids in the file: ${keks.kids.join(', ')}`);
    const elsewhere = (await keys.kekUsage()).filter((u) => u.kekId !== keks.activeKid);
    if (elsewhere.length > 0) {
      console.error(`still wrapped under other keys: ${elsewhere.map((u) => `${u.kekId} (${u.keys})`).join(', ')}`);
      return 1;
    }
    return 0;
  } finally {
    await keys.close();
    await pool.end();
  }
}
