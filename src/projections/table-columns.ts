// A read-model table declared once: each column tied to the view field it stores (the column is the
// field's name in snake_case). From the declaration come the DDL of its columns, the column lists
// and record type of the batch writes (rows travel as one jsonb array, see batch-sql.ts), the
// select list of the reads and the decoding of a selected row into the view's fields.

import { cursorToPosition, positionToCursor, type Position } from '../eventstore/position.js';
import type { TableSpec } from './projection.js';

type JsonValue = string | number;

export interface Column<T> {
  readonly sqlType: string;
  /** What follows the type in the DDL, given the column's name (empty: nullable, no constraint). */
  readonly constraint: (column: string) => string;
  /** The value as a field of a written row; null leaves the field out (SQL null). */
  readonly encode: (value: T) => JsonValue | null;
  /** A selected value (as node-postgres returns it) as the view holds it. */
  readonly decode: (raw: unknown) => T;
}

/** Constraints that make a column non-null (so its field type may not include null). */
type NotNull = 'not null' | 'primary key' | `not null ${string}`;

function columnKind<T>(sqlType: string, encode: (value: T) => JsonValue, decode: (raw: unknown) => T) {
  function column(): Column<T | null>;
  function column(constraint: NotNull): Column<T>;
  function column(constraint?: NotNull): Column<T | null> | Column<T> {
    const nullable: Column<T | null> = {
      sqlType,
      constraint: () => constraint ?? '',
      encode: (value) => (value === null ? null : encode(value)),
      decode: (raw) => (raw === null || raw === undefined ? null : decode(raw)),
    };
    return nullable;
  }
  return column;
}

export const uuid = columnKind<string>('uuid', (v) => v, (raw) => raw as string);
export const text = columnKind<string>('text', (v) => v, (raw) => raw as string);
export const integer = columnKind<number>('integer', (v) => v, (raw) => raw as number);
/** int8: node-postgres returns it as a string. */
export const bigint = columnKind<bigint>('bigint', (v) => v.toString(), (raw) => BigInt(raw as string));
export const timestamptz = columnKind<Date>('timestamptz', (v) => v.toISOString(), (raw) => raw as Date);
/** A log position, stored as its cursor. */
export const positionCursor = columnKind<Position>('text', positionToCursor, (raw) => cursorToPosition(raw as string));

/** A non-null text column holding one of `values` (a check constraint). */
export function oneOf<const V extends string>(values: readonly V[]): Column<V> {
  return {
    sqlType: 'text',
    constraint: (column) => `not null check (${column} in (${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}))`,
    encode: (value) => value,
    decode: (raw) => raw as V,
  };
}

/** One column per field of V, each of the field's type. */
export type Columns<V> = { readonly [K in keyof V & string]-?: Column<V[K]> };

export interface Table<V> {
  readonly name: string;
  /** The primary key column. */
  readonly key: string;
  /** For rebuilds and verification (ReadModelTables.tables). */
  readonly spec: TableSpec;
  /** Every column, in declaration order: `a, b, c`. */
  readonly columnList: string;
  /** The record type of a written row, for jsonb_to_recordset: `a uuid, b text, …`. */
  readonly recordType: string;
  /** One statement inserting the rows of a jsonb array parameter ($1); unqualified (the search_path picks the schema). */
  readonly insertSql: string;
  /** One statement replacing every column but the key of the existing rows in a jsonb array parameter ($1). */
  readonly updateSql: string;
  /** The column definitions of `create table` (no secondary indexes). */
  columnsDdl(): string;
  /** Every column, qualified by `alias` when given (select lists). */
  selectList(alias?: string): string;
  /** A row to write (see batch-sql.ts, jsonRows): one field per non-null column. */
  encode(view: V): Record<string, JsonValue>;
  /** The fields of a selected row (other columns it carries are ignored). */
  decode(row: Readonly<Record<string, unknown>>): V;
}

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function table<V>(name: string, key: keyof V & string, columns: Columns<V>): Table<V> {
  const list = (Object.entries(columns) as [keyof V & string, Column<unknown>][]).map(([field, column]) => ({ field, name: snakeCase(field), column }));
  const keyColumn = snakeCase(key);
  const columnList = list.map((c) => c.name).join(', ');
  const recordType = list.map((c) => `${c.name} ${c.column.sqlType}`).join(', ');
  const set = list.filter((c) => c.name !== keyColumn).map((c) => `${c.name} = r.${c.name}`);
  return {
    name,
    key: keyColumn,
    spec: { name, key: [keyColumn] },
    columnList,
    recordType,
    insertSql: `insert into ${name} (${columnList}) select ${columnList} from jsonb_to_recordset($1::jsonb) as r(${recordType})`,
    updateSql: `update ${name} t set ${set.join(', ')} from jsonb_to_recordset($1::jsonb) as r(${recordType}) where t.${keyColumn} = r.${keyColumn}`,
    columnsDdl: () => list.map((c) => `${c.name.padEnd(16)} ${c.column.sqlType} ${c.column.constraint(c.name)}`.trimEnd()).join(',\n'),
    selectList: (alias) => list.map((c) => (alias ? `${alias}.${c.name}` : c.name)).join(', '),
    encode(view) {
      const row: Record<string, JsonValue> = {};
      for (const c of list) {
        const value = c.column.encode(view[c.field]);
        if (value !== null) row[c.name] = value;
      }
      return row;
    },
    decode(row) {
      const view = {} as Record<string, unknown>;
      for (const c of list) view[c.field] = c.column.decode(row[c.name]);
      return view as V;
    },
  };
}
