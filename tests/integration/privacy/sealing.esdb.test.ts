// The sealing contract over EventStoreDB (the key store in a PostgreSQL database of its own); skipped
// with the reason printed where no server can be had.

import { createTestDatabase } from '../../../support/database.js';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { findEsdbServer } from '../../support/esdb-server.js';
import { sealingContract } from './sealing.contract.js';

const server = await findEsdbServer();
if ('skip' in server) console.warn(`[esdb sealing contract] skipped: ${server.skip}`);

sealingContract('esdb', async () => {
  if ('skip' in server) return undefined;
  const db = await createTestDatabase('sealing_esdb');
  const store = new EsdbEventStore(server.url);
  return {
    store,
    pool: db.pool,
    databaseUrl: db.url,
    async cleanup() {
      await store.close();
      await server.container?.stop();
      await db.drop();
    },
  };
});
