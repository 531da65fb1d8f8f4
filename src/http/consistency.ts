// Read-your-writes for HTTP reads: `?consistentWith=<position>` waits (bounded) until the read
// models the route reads have applied that position.

import { cursorToPosition } from '../eventstore/position.js';
import type { CheckpointWaiter } from '../checkpoints/checkpoint-waiter.js';
import { HttpProblem } from './problem.js';

export function createConsistency(waiter: CheckpointWaiter, timeoutMs: number) {
  return async function ensureConsistent(consistentWith: string | undefined, projections: readonly string[]): Promise<void> {
    if (consistentWith === undefined) return;
    const position = cursorToPosition(consistentWith);
    if (!(await waiter.waitFor(projections, position, timeoutMs))) {
      throw new HttpProblem(503, 'projection_lagging', 'Read model behind', `the read model has not reached ${consistentWith} within ${timeoutMs} ms; retry`, {
        retryAfterSeconds: 1,
      });
    }
  };
}

export type EnsureConsistent = ReturnType<typeof createConsistency>;
