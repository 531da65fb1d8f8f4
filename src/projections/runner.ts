// Runs one projection: holds its advisory lock (one active instance per projection; others wait
// in standby and take over when the holder's connection goes away), subscribes from the stored
// checkpoint, and applies each batch together with the new checkpoint in one transaction.

import pg from 'pg';
import { applicationName } from '../db/application-name.js';
import type { Logger } from 'pino';
import { comparePositions, type Position } from '../eventstore/position.js';
import type { EventStore, RecordedEvent } from '../eventstore/types.js';
import { BatchPuller } from './batch-puller.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoints/checkpoints.js';
import type { Projection } from './projection.js';
import { pause } from '../abortable-pause.js';

export interface RunnerOptions {
  batchSize?: number;
  /** How often a standby instance tries to take the lock. */
  standbyRetryMs?: number;
  /** Idle this long → store the subscription's scan position as the checkpoint. */
  idleCheckpointMs?: number;
  errorBackoffMs?: number;
  /**
   * Called after each batch has committed (cache invalidation, live notifications), in order,
   * with the projection's name and the batch. A hook that throws is logged, never retried: the
   * batch is already durable.
   */
  afterCommit?: readonly AfterCommitHook[];
  /**
   * Called inside the batch's transaction, after the checkpoint is written and just before the
   * commit (a cache entry made before the change must be dead by the time the change is
   * visible). Must be bounded and must not throw: a throw is logged and the batch commits anyway.
   */
  beforeCommit?: readonly AfterCommitHook[];
}

export type AfterCommitHook = (projection: string, events: readonly RecordedEvent[]) => Promise<void>;

export type RunnerStatus = 'starting' | 'standby' | 'active' | 'failing' | 'stopped';

/** Advisory lock class of the runners; the key is `hashtext(projection name)`. */
export const LOCK_CLASS = 0x66746a72; // 'ftjr'

/** The schema live read models are in. */
export const LIVE_SCHEMA = 'rm';

export class ProjectorRunner {
  status: RunnerStatus = 'starting';
  lastError: Error | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly opts: Required<RunnerOptions>;

  constructor(
    private readonly databaseUrl: string,
    private readonly store: EventStore,
    readonly projection: Projection,
    private readonly logger: Logger,
    opts: RunnerOptions = {},
  ) {
    this.opts = { batchSize: 500, standbyRetryMs: 1_000, idleCheckpointMs: 100, errorBackoffMs: 1_000, afterCommit: [], beforeCommit: [], ...opts };
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Finishes the batch in hand, releases the lock and closes the connection. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.status = 'stopped';
  }

  private get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const log = this.logger.child({ projection: this.projection.name });
    while (!this.stopping) {
      const client = new pg.Client({ connectionString: this.databaseUrl, application_name: applicationName(`facetrail-projector-${this.projection.name}`) });
      client.on('error', (err) => log.warn({ err: err.message }, 'projector connection error'));
      let healthy = true;
      try {
        await client.connect();
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [LOCK_CLASS, this.projection.name]);
        if (!rows[0]?.locked) {
          if (this.status !== 'standby') log.info('another instance holds this projection; standing by');
          this.status = 'standby';
          await pause(this.opts.standbyRetryMs, this.abort.signal);
          continue;
        }
        this.status = 'active';
        this.lastError = undefined;
        log.info('projection active');
        await this.consume(client);
      } catch (err) {
        healthy = false;
        this.status = 'failing';
        this.lastError = err as Error;
        log.error({ err }, 'projection failed; restarting from its checkpoint');
        await pause(this.opts.errorBackoffMs, this.abort.signal);
      } finally {
        // Ending the session releases the advisory lock even if the unlock query cannot run.
        if (healthy) await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
        await client.end().catch(() => undefined);
      }
    }
  }

  private async consume(client: pg.Client): Promise<void> {
    const { name } = this.projection;
    let stored = await readCheckpoint(client, name);
    const subscription = this.store.subscribe({ from: stored ?? 'start', filter: this.projection.filter });
    const puller = new BatchPuller(subscription[Symbol.asyncIterator]());
    try {
      while (!this.stopping) {
        const events = await puller.next(this.opts.batchSize, this.opts.idleCheckpointMs, this.abort.signal);
        if (events.length === 0) {
          const scanned = subscription.checkpoint();
          if (scanned && isAfter(scanned, stored)) {
            await this.transaction(client, () => writeCheckpoint(client, name, scanned, 0));
            stored = scanned;
          }
          continue;
        }
        const last = events.at(-1)!.position;
        await this.transaction(client, async () => {
          await enterSchema(client, this.projection, LIVE_SCHEMA);
          await this.projection.apply(client, events, { localData: this.store.localData, dataKeys: this.store.dataKeys });
          await writeCheckpoint(client, name, last, events.length);
          for (const hook of this.opts.beforeCommit) {
            await hook(name, events).catch((err: unknown) => this.logger.warn({ err, projection: name }, 'beforeCommit hook failed'));
          }
        });
        stored = last;
        if (this.projection.afterCommit) {
          await this.projection.afterCommit(events).catch((err: unknown) => this.logger.warn({ err, projection: name }, 'afterCommit failed'));
        }
        for (const hook of this.opts.afterCommit) {
          await hook(name, events).catch((err: unknown) => this.logger.warn({ err, projection: name }, 'afterCommit hook failed'));
        }
      }
    } finally {
      await subscription.close();
    }
  }

  private async transaction(client: pg.Client, body: () => Promise<void>): Promise<void> {
    await client.query('begin');
    try {
      await body();
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    }
  }
}

/**
 * Points the transaction's unqualified table names at `schema`, and takes the projection's tables
 * in row exclusive mode in their declared order (harmless to readers and to other writers), so a
 * rebuild's swap, which locks them in the same order, cannot deadlock with a batch.
 */
export async function enterSchema(tx: pg.ClientBase, projection: Projection, schema: string): Promise<void> {
  await tx.query(`set local search_path to ${pg.escapeIdentifier(schema)}, public`);
  const tables = projection.tables?.tables ?? [];
  if (tables.length > 0) await tx.query(`lock table ${tables.map((t) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(t.name)}`).join(', ')} in row exclusive mode`);
}

function isAfter(p: Position, than: Position | undefined): boolean {
  return than === undefined || comparePositions(p, than) > 0;
}

