// Positions in the global log. Both adapters use the same shape: ordered by `commit`, then
// `prepare`. For PostgreSQL `commit` is the writing transaction id and `prepare` the global
// sequence number; for EventStoreDB they are its commit/prepare log positions. Clients only ever
// see the string cursor, which they must treat as opaque.

export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START: Position = Object.freeze({ commit: 0n, prepare: 0n });

const CURSOR = /^([0-9]{1,19})-([0-9]{1,19})$/;
/**
 * The largest value either part may have. PostgreSQL's `global_position` is a bigint (and its
 * transaction ids never get near 2^63); EventStoreDB's log positions are byte offsets far below
 * it. A larger part names no event of either store, and PostgreSQL would refuse it (out of range):
 * it is an invalid cursor, refused here, before any I/O.
 */
export const POSITION_PART_MAX = (1n << 63n) - 1n;

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function positionToCursor(p: Position): string {
  return `${p.commit}-${p.prepare}`;
}

export class InvalidCursorError extends Error {
  readonly code = 'invalid_cursor';
  constructor(readonly cursor: string) {
    super(`'${cursor.slice(0, 64)}' is not a valid position cursor`);
    this.name = 'InvalidCursorError';
  }
}

/**
 * THE cursor parser: every route, GraphQL argument, consistentWith and asOf goes through it.
 * `<commit>-<prepare>`, each part a decimal integer from 0 to 2^63 - 1; anything else throws
 * InvalidCursorError (400 invalid_cursor).
 */
export function cursorToPosition(cursor: string): Position {
  const m = typeof cursor === 'string' ? CURSOR.exec(cursor) : null;
  if (!m) throw new InvalidCursorError(String(cursor));
  const commit = BigInt(m[1]!);
  const prepare = BigInt(m[2]!);
  if (commit > POSITION_PART_MAX || prepare > POSITION_PART_MAX) throw new InvalidCursorError(cursor);
  return { commit, prepare };
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
