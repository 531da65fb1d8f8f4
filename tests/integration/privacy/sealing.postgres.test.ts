import { createTestDatabase, type TestDatabase } from '../../../support/database.js';
import { PostgresEventStore } from '../../../src/eventstore/postgres/postgres-event-store.js';
import { sealingContract } from './sealing.contract.js';

sealingContract('postgres', async () => {
  const db: TestDatabase = await createTestDatabase('sealing');
  const store = new PostgresEventStore(db.pool, { url: db.url, pollIntervalMs: 200 });
  return {
    store,
    pool: db.pool,
    databaseUrl: db.url,
    async cleanup() {
      await store.close();
      await db.drop();
    },
  };
});
