// One store per database: rm.checkpoints hold positions of one event store kind. A process whose
// EVENT_STORE_URL names the other kind refuses to start (before any subscription) instead of
// resuming at positions that mean nothing in its store.

import type pg from 'pg';

export interface EventStoreIdentity {
  kind: 'postgres' | 'esdb';
  /** For messages: 'this database' for PostgreSQL, the URL's host list (no credentials) for ESDB. */
  identity: string;
}

export class CheckpointSourceMismatchError extends Error {
  constructor(
    readonly recorded: EventStoreIdentity,
    readonly configured: EventStoreIdentity,
  ) {
    super(
      `rm.checkpoints were written by the ${recorded.kind} event store (${recorded.identity}), but this process is configured ` +
        `for the ${configured.kind} event store (${configured.identity}); their positions are not comparable, so resuming would ` +
        `start the projectors at a wrong position. Point EVENT_STORE_URL back at the ${recorded.kind} store, or give the ` +
        `${configured.kind} store a fresh database (its read models are built from its own log).`,
    );
    this.name = 'CheckpointSourceMismatchError';
  }
}

/**
 * Checks that the checkpoints in this database came from `store`'s kind and records the kind when
 * there are none yet. Checkpoints from before the record existed are attributed by the data: the
 * PostgreSQL store keeps its log in es.events of this database, EventStoreDB does not.
 */
export async function claimCheckpoints(pool: pg.Pool, store: EventStoreIdentity): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('lock table rm.checkpoint_source in share row exclusive mode');
    const { rows } = await client.query<{ kind: EventStoreIdentity['kind']; identity: string; has_checkpoints: boolean; has_events: boolean }>(
      `select s.kind, s.identity,
              exists (select 1 from rm.checkpoints) as has_checkpoints,
              exists (select 1 from es.events) as has_events
         from (select 1) one left join rm.checkpoint_source s on true`,
    );
    const row = rows[0]!;
    if (row.has_checkpoints) {
      const recorded: EventStoreIdentity | undefined =
        row.kind !== null ? { kind: row.kind, identity: row.identity } : row.has_events ? { kind: 'postgres', identity: 'this database (inferred from es.events)' } : { kind: 'esdb', identity: 'unknown server (inferred: es.events is empty)' };
      if (recorded.kind !== store.kind) throw new CheckpointSourceMismatchError(recorded, store);
      if (row.kind !== null) {
        await client.query('commit');
        return;
      }
    }
    await client.query(
      `insert into rm.checkpoint_source (kind, identity) values ($1, $2)
       on conflict (only_row) do update set kind = excluded.kind, identity = excluded.identity, recorded_at = now()`,
      [store.kind, store.identity],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
