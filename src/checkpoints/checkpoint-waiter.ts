// Read-your-writes: waits (bounded) until the given consumers' checkpoints have passed a position.

import type pg from 'pg';
import { PgListener } from '../db/pg-listener.js';
import type { Position } from '../eventstore/position.js';
import { CHECKPOINT_CHANNEL, isAtOrAfter, readCheckpoint } from './checkpoints.js';

export class CheckpointWaiter {
  private readonly listener: PgListener;

  constructor(
    private readonly pool: pg.Pool,
    databaseUrl: string,
    onError: (err: Error) => void = () => undefined,
  ) {
    this.listener = new PgListener(databaseUrl, CHECKPOINT_CHANNEL, onError);
  }

  /** True once every consumer is at or past `position`; false if `timeoutMs` passes first. */
  async waitFor(consumers: readonly string[], position: Position, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const signal = AbortSignal.timeout(Math.max(timeoutMs, 1));
    for (;;) {
      const checkpoints = await Promise.all(consumers.map((c) => readCheckpoint(this.pool, c)));
      if (checkpoints.every((cp) => isAtOrAfter(cp, position))) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // A NOTIFY between the read and the wait is caught by the short poll.
      await this.listener.wait(Math.min(left, 100), signal);
    }
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
