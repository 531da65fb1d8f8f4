import type pg from 'pg';
import type { DataKeys, EventFilter, LocalEventData, RecordedEvent } from '../eventstore/types.js';

/** A read model: which events it reads and how a batch of them changes its tables. */
export interface Projection {
  /** Unique and stable: the checkpoint and the advisory lock are keyed by it. */
  name: string;
  filter: EventFilter;
  /**
   * Applies a batch inside the runner's transaction (the checkpoint is written in the same one).
   * Projections with `tables` write unqualified table names: the transaction's `search_path`
   * picks the schema (`rm` for the live runner, a scratch schema for a rebuild).
   */
  apply(tx: pg.ClientBase, events: RecordedEvent[], context: ApplyContext): Promise<void>;
  /** Runs after the batch committed (e.g. cache invalidation). Must not throw. */
  afterCommit?(events: RecordedEvent[]): Promise<void>;
  /** The projection's own tables: present for projections that can be rebuilt and verified. */
  tables?: ReadModelTables;
}

/** What a batch is applied with besides the transaction: what the runner (or rebuild) knows of the store. */
export interface ApplyContext {
  /** The stored events, when the log is in this database (EventStore.localData): a read model may refer to them. */
  localData: LocalEventData | undefined;
  /** The store's data keys, when it seals personal data: a read model seals its copies of it with them (the face index). */
  dataKeys?: DataKeys | undefined;
}

export interface ReadModelTables {
  /** The tables in dependency order (referenced tables first); also the lock order. */
  tables: readonly TableSpec[];
  /** DDL creating the tables in `schema` (primary keys and foreign keys, no secondary indexes). */
  createTables(schema: string): string;
  /** DDL creating the secondary indexes (run after a bulk replay, before the swap). */
  createIndexes(schema: string): string;
}

export interface TableSpec {
  name: string;
  /** Primary key columns: the order of the content hash and of the differing rows shown. */
  key: readonly string[];
  /** Columns whose value may legitimately differ between a live table and a rebuild. */
  excludeColumns?: readonly string[];
  /**
   * Rows compared by verification (SQL predicate), when something other than the projection
   * deletes rows from the live table (e.g. the sessions purge), so a rebuild legitimately has more.
   */
  compareWhere?: string;
}
