// `npm run cli -- projections:status`: each consumer's checkpoint, events applied, lag and the
// session holding its runner lock.

import { projectionStatus } from '../projections/status.js';
import { withCliContext, type CliContext } from './projections-common.js';

export const summary = 'list each consumer of the log: checkpoint, events applied, lag (events, seconds), lock holder';

export async function run(args: string[]): Promise<number> {
  return withCliContext((ctx) => execute(args, ctx));
}

export async function execute(_args: string[], ctx: CliContext): Promise<number> {
  const rows = (await projectionStatus(ctx.pool, ctx.store)).map((s) => ({
    consumer: s.consumer,
    checkpoint: s.cursor,
    applied: String(s.eventsApplied),
    'lag events': s.lagCapped ? `>${s.lagCap}` : String(s.lagEvents),
    'lag s': s.lagSeconds.toFixed(1),
    updated: s.updatedAt.toISOString(),
    'lock holder': s.holder ? `pid ${s.holder.pid} ${s.holder.application}${s.holder.client ? ` ${s.holder.client}` : ''}` : '-',
  }));
  if (rows.length === 0) {
    ctx.out('no consumer has stored a checkpoint yet');
    return 0;
  }
  const cols = Object.keys(rows[0]!) as (keyof (typeof rows)[number])[];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  ctx.out(line(cols));
  for (const r of rows) ctx.out(line(cols.map((c) => r[c])));
  ctx.out('lag events: events after the checkpoint in the streams the consumer reads (any stream for the job bridge); lag s: age of the first of them');
  return 0;
}
