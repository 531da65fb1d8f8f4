// Process entry point: `npm start` (every role in one process) or `node dist/main.js api|projector|worker`
// (one role; FACETRAIL_ROLE does the same). Reads the config, prepares the database, starts the
// roles and shuts down gracefully on SIGTERM/SIGINT. Every role serves /healthz and /readyz.

import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './http/app.js';
import { PostgresUnreachableError } from './db/connection-error.js';
import { redisAddress } from './db/redis-outage.js';
import { createLogger } from './logger.js';
import { startProjectors } from './projections/start-projectors.js';
import { startRuntime } from './runtime.js';
import { startWorkers } from './workers/start-workers.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    const roleArg = process.argv[2];
    config = loadConfig(roleArg === undefined ? process.env : { ...process.env, FACETRAIL_ROLE: roleArg });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`facetrail: ${err.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config);
  const runtime = await startRuntime(config, logger);

  const has = (role: Config['role']) => config.role === 'all' || config.role === role;
  const app = await buildApp(runtime, { api: has('api') });
  const projectors = has('projector') ? startProjectors(runtime) : [];
  const workers = has('worker') ? await startWorkers(runtime) : undefined;
  // Node closes idle keep-alive connections once, when close() is called: a connection whose
  // request ends later (drained) would stay open for the keep-alive timeout (72 s) and hold the
  // shutdown past SHUTDOWN_TIMEOUT_MS. While draining, responses say `Connection: close` (the
  // client does not send another request on it) and each connection is closed as it goes idle.
  let draining = false;
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    if (draining) setImmediate(() => app.server.closeIdleConnections());
    done();
  });
  await app.listen({ host: config.host, port: config.port });
  if (runtime.redisUnreachableAtStart === undefined) logger.info({ eventStore: runtime.eventStore.kind }, `facetrail ready (role ${config.role})`);
  else {
    const at = redisAddress(config.redisUrl);
    logger.warn(
      { eventStore: runtime.eventStore.kind, redis: at, err: runtime.redisUnreachableAtStart },
      `facetrail started degraded (role ${config.role}): Redis at REDIS_URL ${at} is unreachable (${runtime.redisUnreachableAtStart}); ` +
        'until it answers: no rate limits, no read cache, no live notifications, analysis jobs wait; /readyz answers 503',
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    void (async () => {
      draining = true;
      await app.close(); // stops accepting, waits for in-flight requests
      await Promise.all(projectors.map((p) => p.stop())); // finish the batch in hand, release the lock
      await workers?.stop(); // finish or release the job in hand
      await runtime.close();
      logger.info('stopped');
      process.exitCode = 0;
    })().catch((err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('facetrail: start-up failed:', err instanceof Error ? err.message : err);
  process.exit(err instanceof PostgresUnreachableError ? 69 : 1); // EX_UNAVAILABLE: a dependency is down, the config may be fine
});
