import type { Migration } from './migration.js';

// Read models of the identity slice, and the checkpoints of every consumer of the log.
export const identityReadModels: Migration = {
  id: '0002_read_models_identity',
  sql: /* sql */ `
create schema if not exists rm;

-- One row per consumer (projector, job bridge). Written in the same transaction as the consumer's
-- read-model changes, so a crash never applies an event twice or skips one.
create table rm.checkpoints (
  consumer       text primary key,
  commit_pos     numeric(20, 0) not null,
  prepare_pos    numeric(20, 0) not null,
  events_applied bigint not null default 0,
  updated_at     timestamptz not null default now()
);

create table rm.users (
  user_id      uuid primary key,
  email        text not null unique,
  display_name text not null,
  role         text not null check (role in ('user', 'auditor', 'admin')),
  status       text not null check (status in ('active', 'deactivated')),
  created_at   timestamptz not null,
  updated_at   timestamptz not null,
  revision     bigint not null
);

create table rm.sessions (
  family_id        uuid primary key,
  user_id          uuid not null,
  status           text not null check (status in ('active', 'revoked')),
  current_token_id uuid not null,
  expires_at       timestamptz not null,
  started_at       timestamptz not null,
  rotations        integer not null default 0,
  revoked_at       timestamptz,
  revoked_reason   text
);
create index sessions_by_user on rm.sessions (user_id, started_at desc);
`,
};
