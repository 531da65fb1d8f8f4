// The schemas `projections:rebuild --to <cursor>` leaves behind (rm_at_<commit>_<prepare>, see
// schemaAt in rebuild.ts): kept on purpose for whoever asked for the past state, listed and
// dropped here (`projections:prune`) once they are done with it.

import pg from 'pg';
import { comparePositions, cursorToPosition, type Position } from '../eventstore/position.js';
import { schemaAt } from './rebuild.js';

const SNAPSHOT = /^rm_at_\d+_\d+$/;

export interface SnapshotSchema {
  schema: string;
  tables: number;
  bytes: number;
}

/** Every rm_at_* schema in the database, oldest cursor first, with its table count and size on disk. */
export async function listSnapshotSchemas(pool: pg.Pool): Promise<SnapshotSchema[]> {
  const { rows } = await pool.query<{ schema: string; tables: string; bytes: string }>(
    `select n.nspname as schema,
            count(c.oid) filter (where c.relkind in ('r', 'p'))::text as tables,
            coalesce(sum(pg_total_relation_size(c.oid)) filter (where c.relkind in ('r', 'p')), 0)::text as bytes
       from pg_namespace n left join pg_class c on c.relnamespace = n.oid
      where n.nspname ~ '^rm_at_[0-9]+_[0-9]+$'
      group by n.nspname`,
  );
  const at = (schema: string): Position => {
    const [, , commit, prepare] = schema.split('_');
    return { commit: BigInt(commit!), prepare: BigInt(prepare!) };
  };
  return rows.map((r) => ({ schema: r.schema, tables: Number(r.tables), bytes: Number(r.bytes) })).sort((a, b) => comparePositions(at(a.schema), at(b.schema)));
}

/** The snapshot schema a user named: `rm_at_12_12` as is, or the cursor `12-12` it was built at. */
export function snapshotSchemaName(nameOrCursor: string): string {
  if (SNAPSHOT.test(nameOrCursor)) return nameOrCursor;
  return schemaAt(cursorToPosition(nameOrCursor)); // throws on a malformed cursor
}

/** Drops one rm_at_* schema and all in it; false when there was none. Refuses any other schema. */
export async function dropSnapshotSchema(pool: pg.Pool, schema: string): Promise<boolean> {
  if (!SNAPSHOT.test(schema)) throw new Error(`'${schema}' is not a projections:rebuild --to schema (rm_at_<commit>_<prepare>)`);
  const { rows } = await pool.query<{ found: boolean }>('select exists (select 1 from pg_namespace where nspname = $1) as found', [schema]);
  if (!rows[0]?.found) return false;
  await pool.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`);
  return true;
}
