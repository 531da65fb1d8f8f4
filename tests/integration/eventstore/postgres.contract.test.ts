import { createTestDatabase } from '../../../support/database.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { eventStoreContract } from './contract.js';

eventStoreContract('postgres', async () => {
  const db = await createTestDatabase('contract');
  const store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 200 });
  return {
    store,
    async cleanup() {
      await store.close();
      await db.drop();
    },
  };
});
