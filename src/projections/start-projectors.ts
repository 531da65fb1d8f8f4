import { watchProjectorLag } from '../metrics/projector-lag.js';
import type { Runtime } from '../runtime.js';
import { commitHooks } from './commit-hooks.js';
import { projections } from './index.js';
import { ProjectorRunner, type AfterCommitHook } from './runner.js';

export interface ProjectorHooks {
  /** Run after every committed batch of every read model; default: `commitHooks(rt)`. */
  afterCommit?: readonly AfterCommitHook[];
}

/** Starts one runner per read model (each active in one process at a time, via its advisory lock). */
export function startProjectors(
  rt: Pick<Runtime, 'config' | 'eventStore' | 'logger' | 'redis' | 'pool'> & Partial<Pick<Runtime, 'metrics'>>,
  hooks: ProjectorHooks = {},
): ProjectorRunner[] {
  if (rt.metrics) watchProjectorLag(rt.metrics, rt); // the projector role exports every consumer's lag
  const afterCommit = hooks.afterCommit ?? commitHooks(rt);
  return projections.map((p) => new ProjectorRunner(rt.config.databaseUrl, rt.eventStore, p, rt.logger, { afterCommit }).start());
}
