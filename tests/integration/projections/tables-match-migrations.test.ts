// The read-model tables are written twice: by the migrations (src/db/migrations, the schema of
// every existing deployment) and by each projection's declared tables (`tables.createTables` and
// `createIndexes`, what a rebuild creates and swaps in). This test migrates a fresh database,
// creates every projection's declared tables in a scratch schema and compares the two in the
// catalog, table by table: columns (name, type, nullability, default, compression), primary keys,
// foreign keys, unique and check constraints (name and definition) and indexes (name and
// definition), with the schema name normalised away.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projections } from '../../../src/projections/index.js';
import type { ReadModelTables } from '../../../src/projections/projection.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

const LIVE = 'rm';
const SCRATCH = 'tables_check';

/** Tables in `rm` that no projection declares, and why. */
const NOT_A_PROJECTION: Record<string, string> = {
  checkpoints: "every consumer's checkpoint (src/checkpoints/), written by the runner, not by a projection",
  checkpoint_source: 'which event store kind the checkpoints belong to (src/checkpoints/checkpoint-source.ts), written at start-up',
};

const declared = projections.flatMap((p) => (p.tables ? [{ projection: p.name, tables: p.tables }] : []));

interface TableShape {
  /** Column names in table order (what `select *` and an insert without a column list see). */
  columnOrder: string[];
  columns: Record<string, { type: string; notNull: boolean; default: string | null; compression: string }>;
  constraints: Record<string, { kind: string; definition: string }>;
  indexes: Record<string, string>;
}

/** `rm.images` / `tables_check.images` / `"tables_check".images` → `<schema>.images`. */
function normalise(sql: string, schema: string): string {
  return sql.replace(new RegExp(`(?<![\\w"])"?${schema}"?\\.`, 'g'), '<schema>.');
}

async function describeTable(db: pg.Pool, schema: string, table: string): Promise<TableShape | undefined> {
  const { rows: exists } = await db.query<{ oid: number }>('select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2', [schema, table]);
  const oid = exists[0]?.oid;
  if (oid === undefined) return undefined;
  const columns = await db.query<{ name: string; type: string; not_null: boolean; default: string | null; compression: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
            pg_get_expr(d.adbin, d.adrelid) as default, a.attcompression::text as compression
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [oid],
  );
  const constraints = await db.query<{ name: string; kind: string; definition: string }>(
    `select conname as name, contype::text as kind, pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = $1 order by conname`,
    [oid],
  );
  const indexes = await db.query<{ name: string; definition: string }>('select indexname as name, indexdef as definition from pg_indexes where schemaname = $1 and tablename = $2 order by indexname', [schema, table]);
  return {
    columnOrder: columns.rows.map((c) => c.name),
    columns: Object.fromEntries(columns.rows.map((c) => [c.name, { type: c.type, notNull: c.not_null, default: c.default === null ? null : normalise(c.default, schema), compression: c.compression }])),
    constraints: Object.fromEntries(constraints.rows.map((c) => [c.name, { kind: c.kind, definition: normalise(c.definition, schema) }])),
    indexes: Object.fromEntries(indexes.rows.map((i) => [i.name, normalise(i.definition, schema)])),
  };
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('tables_match');
  await db.pool.query(`create schema ${pg.escapeIdentifier(SCRATCH)}`);
  const create = async (ddl: (schema: string) => string) => {
    const sql = ddl(pg.escapeIdentifier(SCRATCH));
    if (sql.trim() !== '') await db.pool.query(sql);
  };
  for (const { tables } of declared) await create((s) => tables.createTables(s));
  for (const { tables } of declared) await create((s) => tables.createIndexes(s));
});

afterAll(async () => {
  await db?.drop();
});

describe('the projections declare the tables the migrations create', () => {
  it('some projections declare tables', () => {
    expect(declared.length).toBeGreaterThan(0);
  });

  it('every table in rm is declared by a projection or listed as not one', async () => {
    const { rows } = await db.pool.query<{ name: string }>('select tablename as name from pg_tables where schemaname = $1 order by tablename', [LIVE]);
    const names = new Set(declared.flatMap(({ tables }: { tables: ReadModelTables }) => tables.tables.map((t) => t.name)));
    expect(rows.map((r) => r.name).filter((name) => !names.has(name) && !(name in NOT_A_PROJECTION))).toEqual([]);
    expect(Object.keys(NOT_A_PROJECTION).filter((name) => names.has(name) || !rows.some((r) => r.name === name))).toEqual([]);
  });

  for (const { projection, tables } of declared) {
    for (const { name } of tables.tables) {
      it(`${projection}: ${name} (columns, keys, constraints, indexes)`, async () => {
        const live = await describeTable(db.pool, LIVE, name);
        const scratch = await describeTable(db.pool, SCRATCH, name);
        expect(live, `${LIVE}.${name} exists`).toBeDefined();
        expect(scratch, `the declared ${name} is created`).toBeDefined();
        expect(scratch).toEqual(live);
      });
    }
  }

  it('the declared tables are every table createTables makes (none undeclared)', async () => {
    const { rows } = await db.pool.query<{ name: string }>('select tablename as name from pg_tables where schemaname = $1 order by tablename', [SCRATCH]);
    expect(rows.map((r) => r.name)).toEqual(declared.flatMap(({ tables }) => tables.tables.map((t) => t.name)).sort());
  });
});
