// What happens after a read model's batch commits, in every process that runs projectors: the
// hooks that tell the query side (cache invalidation, live GraphQL notifications) what changed.

import type { Runtime } from '../runtime.js';
import type { AfterCommitHook } from './runner.js';

export function commitHooks(_rt: Pick<Runtime, 'config' | 'logger' | 'redis' | 'pool'>): AfterCommitHook[] {
  return [];
}
