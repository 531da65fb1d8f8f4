// Stream revisions given by a client (e.g. `fromRevision` of the audit stream history): decimal
// integers from 0 to 2^63 - 1, the range both stores keep revisions in (PostgreSQL: bigint).

export const REVISION_MAX = (1n << 63n) - 1n;

export class InvalidRevisionError extends Error {
  readonly code = 'invalid_revision';
  constructor(readonly value: string) {
    super(`'${value.slice(0, 64)}' is not a stream revision (a decimal integer from 0 to ${REVISION_MAX})`);
    this.name = 'InvalidRevisionError';
  }
}

const DECIMAL = /^[0-9]{1,19}$/;

/** THE revision parser for client input: throws InvalidRevisionError (400 invalid_revision). */
export function parseRevision(value: string): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value)) throw new InvalidRevisionError(String(value));
  const revision = BigInt(value);
  if (revision > REVISION_MAX) throw new InvalidRevisionError(value);
  return revision;
}
