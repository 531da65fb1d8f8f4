// The EventStoreDB server the *.esdb tests run against: the one at ESDB_URL if set, else a
// throwaway container when a Docker engine answers; otherwise a reason to skip (printed by the caller).

import type { StartedTestContainer } from 'testcontainers';

const IMAGE = 'eventstore/eventstore:24.10';
const DOCKER_PROBE_TIMEOUT_MS = 3_000;

export type EsdbServer = { url: string; container?: StartedTestContainer } | { skip: string };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function findEsdbServer(): Promise<EsdbServer> {
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

