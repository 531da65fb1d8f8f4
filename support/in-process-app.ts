// The whole system in one process over a config: the runtime, the HTTP app (listening on a free
// loopback port), the projectors and, when asked, the worker role (job bridge, analysis worker with
// its AnalyzerPool, schedulers), wired as src/main.ts wires the `all` role. Used by the e2e tests
// (tests/support/app.ts) and the benchmarks; one stop() ends it all and removes its Redis keys.

import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BlobStore } from '../src/blobs/blob-store.js';
import { ImageService } from '../src/commands/images/image-service.js';
import type { Config } from '../src/config.js';
import { buildApp, type AppOptions } from '../src/http/app.js';
import { startProjectors } from '../src/projections/start-projectors.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { startWorkers } from '../src/workers/start-workers.js';
import { deleteRedisKeys } from './redis-test-prefix.js';

export interface InProcessAppOptions {
  /** Start the worker role too (the images get analysed). Default false. */
  workers?: boolean;
  app?: AppOptions;
}

export interface InProcessApp {
  runtime: Runtime;
  app: FastifyInstance;
  baseUrl: string;
  /** The image commands over the runtime's event store and blobs (seeding without HTTP). */
  images: ImageService;
  /** Stops everything that serves or appends (app, projectors, workers); the runtime stays open to inspect the log. */
  stopServices(): Promise<void>;
  /** stopServices(), then deletes the Redis keys under the config's prefix and closes the runtime. */
  stop(): Promise<void>;
}

export async function startInProcessApp(config: Config, logger: Logger, opts: InProcessAppOptions = {}): Promise<InProcessApp> {
  const runtime = await startRuntime(config, logger);
  const app = await buildApp(runtime, opts.app);
  const projectors = startProjectors(runtime);
  const workers = opts.workers ? await startWorkers(runtime) : undefined;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the app has no TCP address');

  let servicesStopped: Promise<void> | undefined;
  const stopServices = () =>
    (servicesStopped ??= (async () => {
      await app.close();
      await Promise.all(projectors.map((p) => p.stop()));
      await workers?.stop();
    })());
  let stopped: Promise<void> | undefined;
  return {
    runtime,
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    images: new ImageService(runtime.eventStore, new BlobStore(runtime.pool)),
    stopServices,
    stop: () =>
      (stopped ??= (async () => {
        try {
          await stopServices();
          // Queues, rate-limit counters, cache entries: everything this app wrote under its prefix
          // (never without one: that would be every key of the Redis).
          if (config.redisKeyPrefix) await deleteRedisKeys(config.redisKeyPrefix, config.redisUrl).catch((err: unknown) => logger.warn({ err }, 'deleting the Redis keys failed'));
        } finally {
          await runtime.close();
        }
      })()),
  };
}
