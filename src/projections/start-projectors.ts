import { watchProjectorLag } from './lag-metrics.js';
import type { Runtime } from '../runtime.js';
import { commitHooks } from '../commit-hooks.js';
import { projections } from './index.js';
import { ProjectorRunner, type AfterCommitHook } from './runner.js';

export interface ProjectorHooks {
  /** Run inside every batch's transaction, just before the commit; default: `commitHooks(rt)`'s. */
  beforeCommit?: readonly AfterCommitHook[];
  /** Run after every committed batch of every read model; default: `commitHooks(rt)`'s. */
  afterCommit?: readonly AfterCommitHook[];
}

/** Starts one runner per read model (each active in one process at a time, via its advisory lock). */
export function startProjectors(
  rt: Pick<Runtime, 'config' | 'eventStore' | 'logger' | 'redis' | 'pool'> & Partial<Pick<Runtime, 'metrics'>>,
  hooks: ProjectorHooks = {},
): ProjectorRunner[] {
  if (rt.metrics) watchProjectorLag(rt.metrics, rt); // the projector role exports every consumer's lag
  const defaults = hooks.afterCommit && hooks.beforeCommit ? undefined : commitHooks(rt);
  const afterCommit = hooks.afterCommit ?? defaults?.afterCommit ?? [];
  const beforeCommit = hooks.beforeCommit ?? defaults?.beforeCommit ?? [];
  return projections.map((p) => new ProjectorRunner(rt.config.databaseUrl, rt.eventStore, p, rt.logger, { afterCommit, beforeCommit }).start());
}
