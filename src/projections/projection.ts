import type pg from 'pg';
import type { EventFilter, RecordedEvent } from '../eventstore/types.js';

/** A read model: which events it reads and how a batch of them changes its tables. */
export interface Projection {
  /** Unique and stable: the checkpoint and the advisory lock are keyed by it. */
  name: string;
  filter: EventFilter;
  /** Applies a batch inside the runner's transaction (the checkpoint is written in the same one). */
  apply(tx: pg.ClientBase, events: RecordedEvent[]): Promise<void>;
  /** Runs after the batch committed (e.g. cache invalidation). Must not throw. */
  afterCommit?(events: RecordedEvent[]): Promise<void>;
}
