import type { Runtime } from '../runtime.js';
import { projections } from './index.js';
import { ProjectorRunner, type AfterCommitHook } from './runner.js';

export interface ProjectorHooks {
  /** Run after every committed batch of every read model (see RunnerOptions.afterCommit). */
  afterCommit?: readonly AfterCommitHook[];
}

/** Starts one runner per read model (each active in one process at a time, via its advisory lock). */
export function startProjectors(rt: Pick<Runtime, 'config' | 'eventStore' | 'logger'>, hooks: ProjectorHooks = {}): ProjectorRunner[] {
  return projections.map((p) => new ProjectorRunner(rt.config.databaseUrl, rt.eventStore, p, rt.logger, { afterCommit: hooks.afterCommit ?? [] }).start());
}
