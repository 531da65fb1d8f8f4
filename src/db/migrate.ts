// Versioned, idempotent schema migrations. Each migration runs once, in its own transaction,
// recorded in public.facetrail_migrations; an advisory lock serialises concurrent starters.

import type pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Migration } from './migrations/migration.js';

const LOCK_KEY = 0x66616365; // 'face'

export async function migrate(pool: pg.Pool, list: readonly Migration[] = migrations): Promise<string[]> {
  const ids = list.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error('duplicate migration id');
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists public.facetrail_migrations (
      id text primary key, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ id: string }>('select id from public.facetrail_migrations');
    const done = new Set(rows.map((r) => r.id));
    for (const m of [...list].sort((a, b) => a.id.localeCompare(b.id))) {
      if (done.has(m.id)) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into public.facetrail_migrations (id) values ($1)', [m.id]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.id);
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
