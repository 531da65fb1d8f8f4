// One schema migration: run once, in its own transaction, by src/db/migrate.ts.

export interface Migration {
  /** Sortable, unique and never renamed, e.g. '0001_event_store'. */
  id: string;
  sql: string;
}
