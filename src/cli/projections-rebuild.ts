// `npm run cli -- projections:rebuild <name|all> [--to <cursor>] [--batch-size N]`
// Replays the log into fresh tables and swaps them in while the API keeps serving the old ones.
// With --to, replays only up to that position into the schema rm_at_<commit>_<prepare>, without
// swapping, and prints the schema name.

import { cursorToPosition, positionToCursor, type Position } from '../eventstore/position.js';
import { ReplayProgress } from '../projections/progress.js';
import { batchSizeOption } from './projections-common.js';
import { rebuildAndSwap, rebuildAt, schemaAt, type RebuildResult } from '../projections/rebuild.js';
import { checkArgs, UsageError, type CommandOptions } from './command.js';
import { projectionNames, selectProjections, withCliContext, type CliContext } from './projections-common.js';

export const summary = 'rebuild read models from the log and swap them in (or, with --to, build them as they were at a cursor)';
export const usage = [
  'usage: facetrail projections:rebuild <name|all> [--batch-size N]',
  '       facetrail projections:rebuild <name|all> --to <cursor> [--batch-size N]',
  '',
  'Replays the log into fresh tables and swaps them in while the API keeps serving the old ones.',
  'With --to <commit>-<prepare>: replays up to that position into the schema rm_at_<commit>_<prepare>',
  "without swapping and prints its name ('facetrail projections:prune' drops it).",
  `names: ${projectionNames()}`,
].join('\n');
export const options = { to: { type: 'string' }, 'batch-size': { type: 'string' } } satisfies CommandOptions;
export const maxPositionals = 1;

export async function run(args: string[]): Promise<number> {
  return withCliContext((ctx) => execute(args, ctx));
}

export async function execute(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = checkArgs({ options, maxPositionals }, args);
  const selected = selectProjections(positionals[0]);
  let to: Position | undefined;
  try {
    to = values.to === undefined ? undefined : cursorToPosition(values.to);
  } catch (err) {
    throw new UsageError(`--to: ${(err as Error).message}`);
  }
  const batchSize = batchSizeOption(values['batch-size']);
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
