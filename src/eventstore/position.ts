// Positions in the global log. Both adapters use the same shape: ordered by `commit`, then
// `prepare`. For PostgreSQL `commit` is the writing transaction id and `prepare` the global
// sequence number; for EventStoreDB they are its commit/prepare log positions. Clients only ever
// see the string cursor, which they must treat as opaque.

export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START: Position = Object.freeze({ commit: 0n, prepare: 0n });

const CURSOR = /^([0-9]{1,20})-([0-9]{1,20})$/;
const U64_MAX = (1n << 64n) - 1n;

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

export function cursorToPosition(cursor: string): Position {
  const m = CURSOR.exec(cursor);
  if (!m) throw new InvalidCursorError(cursor);
  const commit = BigInt(m[1]!);
  const prepare = BigInt(m[2]!);
  if (commit > U64_MAX || prepare > U64_MAX) throw new InvalidCursorError(cursor);
  return { commit, prepare };
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
