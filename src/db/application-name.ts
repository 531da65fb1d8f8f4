// The application_name each PostgreSQL session of ours carries: what it is, and which process on
// which host opened it (`facetrail-projector-users@web-3:4711`). pg_stat_activity then names the
// application process behind a session — projections:status shows who holds a runner lock — where
// its `pid` is only the PostgreSQL backend's.

import os from 'node:os';

/** PostgreSQL keeps NAMEDATALEN − 1 bytes of it (longer names are cut silently). */
const MAX_BYTES = 63;

export interface ApplicationProcess {
  /** What the session is for (`facetrail-projector-users`). */
  name: string;
  host: string;
  pid: number;
}

/** `<name>@<host>:<pid>`, the host shortened so it fits in 63 bytes (ASCII host names). */
export function applicationName(name: string, host = os.hostname(), pid = process.pid): string {
  const tail = `:${pid}`;
  const room = MAX_BYTES - Buffer.byteLength(name) - 1 - tail.length;
  const shortHost = host.split('.')[0] ?? host;
  const fitted = room <= 0 ? '' : Buffer.byteLength(shortHost) <= room ? shortHost : shortHost.slice(0, room);
  return Buffer.from(`${name}@${fitted}${tail}`).subarray(0, MAX_BYTES).toString();
}

/** The process behind an application_name written by applicationName(); undefined for any other. */
export function parseApplicationName(value: string): ApplicationProcess | undefined {
  const m = /^(.*)@([^@]*):(\d+)$/.exec(value);
  if (!m) return undefined;
  return { name: m[1]!, host: m[2]!, pid: Number(m[3]) };
}
