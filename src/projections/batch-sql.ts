// Helpers for projections that apply a whole batch in a few statements: rows travel as one jsonb
// array parameter and are expanded with jsonb_to_recordset.

/** JSON for a jsonb parameter; undefined fields are omitted (→ SQL null). */
export function jsonRows(rows: readonly object[]): string {
  return JSON.stringify(rows);
}

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
