// `npm run cli -- projections:verify [<name|all>]`
// Rebuilds into scratch tables and compares them with the live read models, table by table, at
// the live checkpoint (row count and content hash). Exit code 1 and the first differing rows when
// anything differs.

import { positionToCursor } from '../eventstore/position.js';
import { verifyProjection } from '../projections/rebuild.js';
import { checkArgs, type CommandOptions } from './command.js';
import { batchSizeOption, projectionNames, selectProjections, withCliContext, type CliContext } from './projections-common.js';

export const summary = 'rebuild into scratch tables and compare them with the live read models (exit 1 on a difference)';
export const usage = [
  'usage: facetrail projections:verify [<name|all>] [--batch-size N]',
  '',
  'Rebuilds each read model (default: all) into scratch tables and compares them with the live ones',
  'at the live checkpoint, table by table (row count and content hash); prints the first differing',
  'rows. The live projections keep running. Exit 0 all equal, 1 a difference.',
  `names: ${projectionNames()}`,
].join('\n');
export const options = { 'batch-size': { type: 'string' } } satisfies CommandOptions;
export const maxPositionals = 1;

export async function run(args: string[]): Promise<number> {
  return withCliContext((ctx) => execute(args, ctx));
}

export async function execute(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = checkArgs({ options, maxPositionals }, args);
  const selected = selectProjections(positionals[0] ?? 'all');
  const batchSize = batchSizeOption(values['batch-size']);
  const results = await Promise.all(selected.map((p) => verifyProjection({ pool: ctx.pool, store: ctx.store }, p, batchSize ? { batchSize } : {})));
  let failed = false;
  for (const r of results) {
    const at = r.position ? positionToCursor(r.position) : 'start';
    for (const t of r.tables) {
      if (t.ok) {
        ctx.out(`ok ${t.table} rows=${t.live.rows} hash=${t.live.hash} at ${at}`);
        continue;
      }
      failed = true;
      ctx.out(`DIFF ${t.table} at ${at}: live rows=${t.live.rows} hash=${t.live.hash}, rebuilt rows=${t.rebuilt.rows} hash=${t.rebuilt.hash}`);
      for (const d of t.differences) {
        ctx.out(`  key ${d.key}`);
        ctx.out(`    live:    ${d.live ?? '(missing)'}`);
        ctx.out(`    rebuilt: ${d.rebuilt ?? '(missing)'}`);
      }
    }
  }
  return failed ? 1 : 0;
}
