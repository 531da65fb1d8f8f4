// `npm run cli -- projections:status [--json]`: each consumer's checkpoint, events applied, lag
// and the application process (host and pid) holding its runner lock.

import { projectionStatus, type ConsumerStatus, type LockHolder } from '../projections/status.js';
import { checkArgs, type CommandOptions } from './command.js';
import { withCliContext, type CliContext } from './projections-common.js';

export const summary = 'list each consumer of the log: checkpoint, events applied, lag (events, seconds), lock holder';
export const usage = [
  'usage: facetrail projections:status [--json]',
  '',
  'One line per consumer of the log (projections, job bridge): its checkpoint, events applied, lag',
  '(events after the checkpoint in the streams it reads; age of the first) and the process holding',
  'its runner lock (name@host:pid from the session application_name; backend: the PostgreSQL pid).',
  '--json: one JSON array instead of the table.',
].join('\n');
export const options = { json: { type: 'boolean' } } satisfies CommandOptions;

export async function run(args: string[]): Promise<number> {
  checkArgs({ options }, args);
  return withCliContext((ctx) => execute(args, ctx));
}

function holderText(h: LockHolder | undefined): string {
  if (!h) return '-';
  const who = h.process ? `${h.process.name} on ${h.process.host} pid ${h.process.pid}` : h.application || '(no application_name)';
  return `${who} (backend ${h.backendPid}${h.client ? ` from ${h.client}` : ''})`;
}

function asJson(s: ConsumerStatus) {
  const h = s.holder;
  return {
    consumer: s.consumer,
    checkpoint: s.cursor,
    eventsApplied: s.eventsApplied,
    lagEvents: s.lagEvents,
    lagCapped: s.lagCapped,
    lagSeconds: Number(s.lagSeconds.toFixed(3)),
    updatedAt: s.updatedAt.toISOString(),
    lockHolder: h ? { application: h.application, host: h.process?.host ?? null, pid: h.process?.pid ?? null, backendPid: h.backendPid, client: h.client, since: h.since?.toISOString() ?? null } : null,
  };
}

export async function execute(args: string[], ctx: CliContext): Promise<number> {
  const { values } = checkArgs({ options }, args);
  const status = await projectionStatus(ctx.pool, ctx.store);
  if (values.json) {
    ctx.out(JSON.stringify(status.map(asJson), null, 2));
    return 0;
  }
  const rows = status.map((s) => ({
    consumer: s.consumer,
    checkpoint: s.cursor,
    applied: String(s.eventsApplied),
    'lag events': s.lagCapped ? `>${s.lagCap}` : String(s.lagEvents),
    'lag s': s.lagSeconds.toFixed(1),
    updated: s.updatedAt.toISOString(),
    'lock holder': holderText(s.holder),
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
