// The notary's runner (notary.ts): the projector runner over the store as stored, plus the
// checkpoint time rule while the log is quiet.

import type pg from 'pg';
import type { Logger } from 'pino';
import type { EventStore } from '../../eventstore/types.js';
import { signIfDue, type NotaryDeps } from '../../notary/fold-batch.js';
import { ProjectorRunner, type RunnerOptions } from '../runner.js';
import { NOTARY_BATCH_SIZE, NOTARY_CONSUMER, notaryProjection } from './notary.js';

/**
 * The notary's runner: a ProjectorRunner (advisory lock, checkpoint, standby, restart from the
 * stored frontier) plus the time rule while the log is quiet — the active instance signs the
 * grown tree once the last checkpoint is `everyMs` old, though no batch comes to do it.
 */
export class NotaryRunner extends ProjectorRunner {
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;

  constructor(
    databaseUrl: string,
    /** The store as stored: never the opening one (see the file comment). */
    storedEventStore: EventStore,
    private readonly pool: pg.Pool,
    private readonly deps: NotaryDeps,
    private readonly log: Logger,
    opts: RunnerOptions = {},
  ) {
    super(databaseUrl, storedEventStore, notaryProjection(deps), log, { batchSize: NOTARY_BATCH_SIZE, ...opts });
  }

  override start(): this {
    super.start();
    const every = Math.max(20, Math.min(1_000, Math.floor(this.deps.policy.everyMs / 2)));
    this.timer ??= setInterval(() => {
      if (this.status !== 'active' || this.tick) return;
      this.tick = this.signIfDue()
        .catch((err: unknown) => this.log.warn({ err, consumer: NOTARY_CONSUMER }, 'signing the idle tree failed'))
        .finally(() => (this.tick = undefined));
    }, every);
    this.timer.unref();
    return this;
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.tick;
    await super.stop();
  }

  private async signIfDue(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await signIfDue(client, this.deps);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
