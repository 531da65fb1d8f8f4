// `npm run cli -- projections:rebuild <name|all> [--to <cursor>] [--batch-size N]`
// Replays the log into fresh tables and swaps them in while the API keeps serving the old ones.
// With --to, replays only up to that position into the schema rm_at_<commit>_<prepare>, without
// swapping, and prints the schema name.

import { parseArgs } from 'node:util';
import { cursorToPosition, positionToCursor, type Position } from '../eventstore/position.js';
import { ReplayProgress } from '../projections/progress.js';
import { rebuildAndSwap, rebuildAt, schemaAt, type RebuildResult } from '../projections/rebuild.js';
import { selectProjections, withCliContext, type CliContext } from './projections-common.js';

export const summary = 'rebuild read models from the log and swap them in: projections:rebuild <name|all> [--to <cursor>] (--to: no swap)';

export async function run(args: string[]): Promise<number> {
  return withCliContext((ctx) => execute(args, ctx));
}

export async function execute(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { to: { type: 'string' }, 'batch-size': { type: 'string' } }, strict: true });
  const selected = selectProjections(positionals[0], ctx, 'projections:rebuild');
  if (!selected) return 2;
  let to: Position | undefined;
  try {
    to = values.to === undefined ? undefined : cursorToPosition(values.to);
  } catch (err) {
    ctx.err(`projections:rebuild: ${(err as Error).message}`);
    return 2;
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    ctx.err('projections:rebuild: --batch-size must be a positive integer');
    return 2;
  }
  const head = await ctx.store.headPosition();
  if (to && head && to.commit > head.commit) ctx.err(`note: the log ends at ${positionToCursor(head)}, before ${positionToCursor(to)}`);
  const progress = new ReplayProgress(selected.map((p) => p.name), to && head && to.commit < head.commit ? to : head, { ...(ctx.progressStream ? { stream: ctx.progressStream } : {}) });
  const deps = { pool: ctx.pool, store: ctx.store, onProgress: progress.update.bind(progress), log: (m: string) => ctx.err(m) };
  const opts = batchSize ? { batchSize } : {};
  let results: RebuildResult[];
  try {
    results = await Promise.all(
      selected.map(async (p) => {
        const r = to ? await rebuildAt(deps, p, to, opts) : await rebuildAndSwap(deps, p, opts);
        progress.done(p.name);
        return r;
      }),
    );
  } finally {
    progress.stop();
  }
  for (const r of results) {
    const at = r.position ? positionToCursor(r.position) : 'start (empty log)';
    const rate = r.seconds > 0 ? Math.round(r.applied / r.seconds) : r.applied;
    ctx.err(`${r.projection}: ${r.applied} events in ${r.seconds.toFixed(1)} s (${rate} events/s), ${r.swapped ? `swapped into ${r.schema}` : `in schema ${r.schema}`} at ${at}`);
  }
  if (to) ctx.out(schemaAt(to));
  else ctx.out(`rebuilt ${results.map((r) => r.projection).join(', ')}`);
  return 0;
}
