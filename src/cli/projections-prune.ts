// `facetrail projections:prune [--all | <cursor|schema> ...]`: lists, or drops, the schemas
// rm_at_<commit>_<prepare> that `projections:rebuild --to` leaves behind for whoever wanted the
// read models as they were at a position.

import { dropSnapshotSchema, listSnapshotSchemas, snapshotSchemaName } from '../projections/snapshot-schemas.js';
import { checkArgs, UsageError, type CommandOptions } from './command.js';
import { withCliPool, type CliContext } from './projections-common.js';

export const summary = "list or drop the rm_at_<cursor> schemas that 'projections:rebuild --to' leaves behind";
export const usage = [
  'usage: facetrail projections:prune                        list them (schema, tables, size)',
  '       facetrail projections:prune <cursor|schema> ...    drop those (12-12 or rm_at_12_12)',
  '       facetrail projections:prune --all                  drop every one of them',
  '',
  "'projections:rebuild <name|all> --to <cursor>' replays the log up to the cursor into the schema",
  'rm_at_<commit>_<prepare> and keeps it (the read models as they were then). Drop it when done.',
].join('\n');
export const options = { all: { type: 'boolean' } } satisfies CommandOptions;
export const maxPositionals = Number.MAX_SAFE_INTEGER;

export async function run(args: string[]): Promise<number> {
  const parsed = checkArgs({ options, maxPositionals }, args);
  if (parsed.values.all && parsed.positionals.length > 0) throw new UsageError('--all or schema names, not both');
  const named = parsed.positionals.map((p) => {
    try {
      return snapshotSchemaName(p);
    } catch {
      throw new UsageError(`'${p}' is neither a cursor (<commit>-<prepare>) nor an rm_at_<commit>_<prepare> schema`);
    }
  });
  return withCliPool((ctx) => execute({ all: parsed.values.all === true, named }, ctx));
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

export async function execute(what: { all: boolean; named: string[] }, ctx: Omit<CliContext, 'store'>): Promise<number> {
  const existing = await listSnapshotSchemas(ctx.pool);
  if (!what.all && what.named.length === 0) {
    if (existing.length === 0) ctx.err('no rm_at_* schema (projections:rebuild --to leaves one per cursor)');
    for (const s of existing) ctx.out(`${s.schema}  ${s.tables} tables  ${mb(s.bytes)}`);
    return 0;
  }
  const targets = what.all ? existing.map((s) => s.schema) : what.named;
  let missing = 0;
  for (const schema of targets) {
    if (await dropSnapshotSchema(ctx.pool, schema)) ctx.out(`dropped ${schema}`);
    else {
      missing++;
      ctx.err(`projections:prune: no schema ${schema}`);
    }
  }
  if (targets.length === 0) ctx.err('no rm_at_* schema to drop');
  return missing > 0 ? 1 : 0;
}
