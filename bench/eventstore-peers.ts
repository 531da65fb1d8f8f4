// The rows `npm run bench -- eventstore` measures facetrail's append against, on the same server:
// Emmett PostgreSQL (a peer event store, in a database of its own) and the single durable insert
// per commit (what the disk allows one writer: no event store at all).

import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { STREAM_DOES_NOT_EXIST } from '@event-driven-io/emmett';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** One append of one event to a new stream, durably committed. */
export type AppendOnce = (stream: string, data: Record<string, unknown>, metadata: Record<string, unknown>) => Promise<void>;

export interface Appender {
  name: string;
  append: AppendOnce;
  close(): Promise<void>;
}

export async function emmettAppender(url: string): Promise<Appender> {
  const store = getPostgreSQLEventStore(url);
  await store.schema.migrate();
  return {
    name: 'Emmett PostgreSQL 0.42',
    async append(stream, data, metadata) {
      await store.appendToStream(stream, [{ type: 'ImageUploaded', data, metadata }], { expectedStreamVersion: STREAM_DOES_NOT_EXIST });
    },
    close: () => store.close(),
  };
}

/** A bare table and one autocommitted INSERT per append: the floor one commit costs. */
export async function singleInsertAppender(pool: pg.Pool): Promise<Appender> {
  await pool.query(`create table if not exists public.bench_single_insert (
    id bigint generated always as identity primary key, stream text not null, type text not null, data jsonb not null, metadata jsonb not null)`);
  return {
    name: 'single insert per commit',
    async append(stream, data, metadata) {
      await pool.query({
        name: 'bench_single_insert',
        text: `insert into public.bench_single_insert (stream, type, data, metadata) values ($1, 'ImageUploaded', $2, $3)`,
        values: [stream, JSON.stringify(data), JSON.stringify(metadata)],
      });
    },
    close: () => Promise.resolve(),
  };
}

/**
 * facetrail's path before es.append_one (0010): a lone append through es.append_batch, one round
 * trip, the same statement the store sent. Kept as a row to show what the lone-append path gained.
 */
export function appendBatchAppender(pool: pg.Pool): Appender {
  return {
    name: 'facetrail via append_batch (before 0010)',
    async append(stream, data, metadata) {
      const e = `{"i":"${randomUUID()}","t":"ImageUploaded","d":${JSON.stringify(data)},"m":${JSON.stringify(metadata)}}`;
      await pool.query({
        name: 'bench_append_batch',
        text: 'select idx, status, next_revision::text, commit_id::text, prepare_pos::text from es.append_batch($1::jsonb)',
        values: [`[{"s":${JSON.stringify(stream)},"x":"no_stream","e":[${e}]}]`],
      });
    },
    close: () => Promise.resolve(),
  };
}
