// Maintenance task `purge-sessions`: rm.sessions rows that expired more than a day ago go (the
// sessions projection keeps every session it was told about; nothing else would remove them).

import type pg from 'pg';
import type { MaintenanceTask } from '../worker-role.js';

/** Deletes rm.sessions rows that expired more than a day ago; returns how many. */
export async function purgeSessions(pool: pg.Pool): Promise<number> {
  const { rowCount } = await pool.query(`delete from rm.sessions where expires_at < now() - interval '1 day'`);
  return rowCount ?? 0;
}

export const purgeSessionsTask: MaintenanceTask = {
  name: 'purge-sessions',
  async run(deps, log) {
    const purged = await purgeSessions(deps.pool);
    if (purged > 0) log.info({ purged }, 'purge-sessions: expired sessions deleted');
    return { purged };
  },
};
