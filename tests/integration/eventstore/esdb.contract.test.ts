// The event store contract against EventStoreDB: the server at ESDB_URL if set, else a throwaway
// container when a Docker engine answers; otherwise every test is skipped and the reason printed.
// The container is started while the file loads, so an image pull does not count against the
// contract's beforeAll timeout.

import { findEsdbServer } from '../../support/esdb-server.js';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { eventStoreContract } from './contract.js';

const server = await findEsdbServer();
if ('skip' in server) console.warn(`[esdb contract] skipped: ${server.skip}`);

eventStoreContract('esdb', () => {
  if ('skip' in server) return Promise.resolve(undefined);
  const store = new EsdbEventStore(server.url);
  return Promise.resolve({
    store,
    async cleanup() {
      await store.close();
      await server.container?.stop();
    },
  });
});
