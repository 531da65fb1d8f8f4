// Reading and writing the views a batch folds, for read models that keep one row per stream (a
// view declared as a table, table-columns.ts): the rows of the streams the batch touches but does
// not start are loaded in one query, the batch is folded in memory, and the results are written
// with one insert (the streams it started) and one update (the others).

import type pg from 'pg';
import { jsonRows } from './batch-sql.js';
import type { Table } from './table-columns.js';

/** The rows of `ids` (uuid keys) in `table`, in one query, as views keyed by the id asked for; ids without a row are absent. */
export async function loadViews<F, V>(tx: pg.ClientBase, table: Table<F>, ids: Iterable<string>, toView: (fields: F) => V): Promise<Map<string, V>> {
  const wanted = [...new Set(ids)];
  const views = new Map<string, V>();
  if (wanted.length === 0) return views;
  const { rows } = await tx.query<Record<string, unknown>>(`select ${table.columnList} from ${table.name} where ${table.key} = any($1::uuid[])`, [wanted]);
  const asked = new Map(wanted.map((id) => [id.toLowerCase(), id]));
  for (const row of rows) {
    const key = row[table.key] as string;
    views.set(asked.get(key) ?? key, toView(table.decode(row)));
  }
  return views;
}

/**
 * Writes the views after a batch: inserts those of `started` (a stream started twice fails on the
 * key), updates the others; undefined views (streams the model does not know) write nothing.
 */
export async function writeViews<F>(tx: pg.ClientBase, table: Table<F>, views: ReadonlyMap<string, F | undefined>, started: ReadonlySet<string>): Promise<void> {
  const inserts: object[] = [];
  const updates: object[] = [];
  for (const [id, view] of views) if (view) (started.has(id) ? inserts : updates).push(table.encode(view));
  if (inserts.length > 0) await tx.query(table.insertSql, [jsonRows(inserts)]);
  if (updates.length > 0) await tx.query(table.updateSql, [jsonRows(updates)]);
}
