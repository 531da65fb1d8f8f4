import type { Migration } from './migration.js';

// Which event store the positions in rm.checkpoints belong to (issue 14, item 8). Positions of the
// PostgreSQL store and of EventStoreDB are not comparable: a process pointed at the other kind must
// refuse to start rather than resume at a wrong position (src/checkpoints/checkpoint-source.ts).
export const checkpointSource: Migration = {
  id: '0008_checkpoint_source',
  sql: /* sql */ `
create table rm.checkpoint_source (
  only_row    boolean primary key default true check (only_row),
  kind        text not null check (kind in ('postgres', 'esdb')),
  identity    text not null,
  recorded_at timestamptz not null default now()
);
`,
};
