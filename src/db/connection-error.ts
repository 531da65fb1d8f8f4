// Why PostgreSQL could not be reached, said as a newcomer needs it: which server, through which
// variable, and what went wrong (`PostgreSQL at DATABASE_URL 127.0.0.1:5999 refused the
// connection`), instead of the driver's bare `connect ECONNREFUSED 127.0.0.1:5999`.

/** A connection to PostgreSQL failed before any query ran; the message names server and variable. */
export class PostgresUnreachableError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'PostgresUnreachableError';
  }
}

/** host:port of a postgres:// URL (the credentials and database left out). */
export function postgresAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return '(unparsable URL)';
  }
}

function what(err: unknown, url: string): string | undefined {
  const e = err as { code?: string; message?: string };
  const u = (() => {
    try {
      return new URL(url);
    } catch {
      return undefined;
    }
  })();
  const user = u ? decodeURIComponent(u.username) || 'the default user' : 'the user';
  const db = u ? decodeURIComponent(u.pathname.replace(/^\//, '')) : '';
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (is PostgreSQL running there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'is not a known host';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'cannot be reached (network timeout or no route)';
    case 'ECONNRESET':
      return 'closed the connection';
    case '28P01':
      return `rejected the password of user '${user}'`;
    case '28000':
      return `rejected user '${user}' (${e.message ?? 'no pg_hba.conf entry'})`;
    case '3D000':
      return `has no database '${db}'`;
    case '57P03':
      return 'is starting up or shutting down';
  }
  if (e.message === 'timeout expired' || e.message === 'Connection terminated due to connection timeout') return 'did not answer within the connection timeout';
  return undefined;
}

/** The error to throw for a failed connection: PostgresUnreachableError when it is one, else `err` itself. */
export function describeConnectionError(err: unknown, url: string): unknown {
  if (err instanceof PostgresUnreachableError) return err;
  const reason = what(err, url);
  return reason ? new PostgresUnreachableError(`PostgreSQL at DATABASE_URL ${postgresAddress(url)} ${reason}`, err) : err;
}

/** Runs a first query (`select 1`): rejects with PostgresUnreachableError when the server cannot be reached. */
export async function assertReachable(pool: { query(sql: string): Promise<unknown> }, url: string): Promise<void> {
  try {
    await pool.query('select 1');
  } catch (err) {
    throw describeConnectionError(err, url);
  }
}
