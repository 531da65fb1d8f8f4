// The projector role: one runner per read model (each active in one process at a time, via its
// advisory lock), and the lag gauges of every consumer of the log.

import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventStore } from '../eventstore/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { watchProjectorLag } from './lag-metrics.js';
import { projections } from './index.js';
import { ProjectorRunner, type AfterCommitHook } from './runner.js';
import type { CheckpointSigner } from '../notary/checkpoint.js';
import { NotaryRunner } from './notary/notary-runner.js';

export interface ProjectorHooks {
  /** Run inside every batch's transaction, just before the commit. */
  beforeCommit?: readonly AfterCommitHook[];
  /** Run after every committed batch of every read model. */
  afterCommit?: readonly AfterCommitHook[];
}

export interface ProjectorDeps {
  config: Pick<Config, 'databaseUrl' | 'notary'>;
  eventStore: EventStore;
  /** The log as stored (sealed fields not opened): what the notary folds into its tree. */
  storedEventStore: EventStore;
  /** Signs the notary's checkpoints. */
  checkpointSigner: CheckpointSigner;
  logger: Logger;
  pool: pg.Pool;
  /** Exports every consumer's lag when given (the runtime's registry). */
  metrics?: Metrics;
  /**
   * What the rest of the system wants told around each commit (cache invalidation, live
   * notifications): injected by the composition root (the runtime's `commitHooks`), since the
   * read side is above the projections.
   */
  commitHooks?: ProjectorHooks;
}

/** Starts one runner per read model, and the notary's; `hooks` replaces the deps' commit hooks (tests). */
export function startProjectors(deps: ProjectorDeps, hooks: ProjectorHooks = {}): ProjectorRunner[] {
  if (deps.metrics) watchProjectorLag(deps.metrics, deps); // the projector role exports every consumer's lag
  const afterCommit = hooks.afterCommit ?? deps.commitHooks?.afterCommit ?? [];
  const beforeCommit = hooks.beforeCommit ?? deps.commitHooks?.beforeCommit ?? [];
  const policy = { everyEvents: deps.config.notary.checkpointEveryEvents, everyMs: deps.config.notary.checkpointEveryMs };
  return [
    ...projections.map((p) => new ProjectorRunner(deps.config.databaseUrl, deps.eventStore, p, deps.logger, { afterCommit, beforeCommit }).start()),
    new NotaryRunner(deps.config.databaseUrl, deps.storedEventStore, deps.pool, { signer: deps.checkpointSigner, policy }, deps.logger).start(),
  ];
}
