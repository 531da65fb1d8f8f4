// The whole event store contract through the sealing wrapper (src/privacy): what every role uses.
// The contract's event types declare no personal fields, so this checks the wrapper keeps every
// promise of the port (order, checkpoints, from 'end', errors) while it opens in chunks.

import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../../../support/database.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { parseKekFile } from '../../../src/privacy/kek.js';
import { KeyStore } from '../../../src/privacy/key-store.js';
import { personalDataRegistry, sealEventStore } from '../../../src/privacy/sealing-event-store.js';
import { eventStoreContract } from './contract.js';

eventStoreContract('postgres, sealed', async () => {
  const db = await createTestDatabase('contract_sealed');
  const inner = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 200 });
  const keks = parseKekFile(JSON.stringify({ active: 'k', keys: { k: randomBytes(32).toString('base64') } }), 'test KEK', 'file');
  const keys = new KeyStore(db.pool, keks, { cacheEntries: 10, cacheTtlMs: 60_000 });
  const store = sealEventStore(inner, keys, personalDataRegistry({ Sealed: { fields: ['secret'], key: () => ({ purpose: 'profile', subjectId: '00000000-0000-4000-8000-000000000000' }) } }));
  return {
    store,
    async cleanup() {
      await keys.close();
      await store.close();
      await db.drop();
    },
  };
});
