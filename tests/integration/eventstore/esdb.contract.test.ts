// The event store contract against EventStoreDB: the server at ESDB_URL if set, else a throwaway
// container when a Docker engine answers; otherwise every test is skipped and the reason printed.
// The container is started while the file loads, so an image pull does not count against the
// contract's beforeAll timeout.

import type { StartedTestContainer } from 'testcontainers';
import { EsdbEventStore } from '../../../src/eventstore/esdb/esdb-event-store.js';
import { eventStoreContract } from './contract.js';

const IMAGE = 'eventstore/eventstore:24.10';
const DOCKER_PROBE_TIMEOUT_MS = 3_000;

type Server = { url: string; container?: StartedTestContainer } | { skip: string };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function findServer(): Promise<Server> {
  const url = process.env.ESDB_URL;
  if (url) return { url };
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await withTimeout(getContainerRuntimeClient(), DOCKER_PROBE_TIMEOUT_MS, 'the container runtime');
  } catch (err) {
    return { skip: `ESDB_URL is not set and no Docker engine answers (${(err as Error).message})` };
  }
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_CLUSTER_SIZE: '1',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCodeMatching((code) => code >= 200 && code < 300))
    .withStartupTimeout(180_000)
    .start();
  return { url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`, container };
}

const server = await findServer();
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
