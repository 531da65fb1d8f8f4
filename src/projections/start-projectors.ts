import type { Runtime } from '../runtime.js';
import { projections } from './index.js';
import { ProjectorRunner } from './runner.js';

/** Starts one runner per read model (each active in one process at a time, via its advisory lock). */
export function startProjectors(rt: Pick<Runtime, 'config' | 'eventStore' | 'logger'>): ProjectorRunner[] {
  return projections.map((p) => new ProjectorRunner(rt.config.databaseUrl, rt.eventStore, p, rt.logger).start());
}
