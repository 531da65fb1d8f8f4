import type { Migration } from './migration.js';

// The notary's Merkle tree over the log (issue 16, src/notary; ARCHITECTURE "Proof"). Append only:
// the consumer writes leaves, tiles and its state in the transaction that moves its checkpoint,
// and a signed checkpoint in the same transaction as the leaves it covers.
//
// leaves: one row per event, in the store's global order (tree_index = the event's leaf index).
// tiles:  the tree's complete subtrees, dense: row (level, tile) holds the 32-byte hashes of the
//         nodes (level, tile * 256) .. (level, tile * 256 + 255) concatenated, the last tile of a
//         level growing as the tree does (level 0 = the leaf hashes, again, so a proof reads one
//         table). Stored uncompressed (hashes do not compress).
// state:  the builder's frontier (the complete subtrees of tree_size, largest first) to resume from.
// checkpoints: the signed tree heads (compact JWS, src/notary/checkpoint.ts).
export const notarySchema: Migration = {
  id: '0013_notary',
  sql: /* sql */ `
create schema if not exists notary;

create table notary.leaves (
  tree_index bigint primary key,
  event_id   uuid not null unique,
  position   text not null,
  leaf_hash  bytea not null check (octet_length(leaf_hash) = 32)
);

create table notary.tiles (
  level  smallint not null check (level between 0 and 63),
  tile   bigint not null check (tile >= 0),
  hashes bytea not null check (octet_length(hashes) between 32 and 8192 and octet_length(hashes) % 32 = 0),
  primary key (level, tile)
);
alter table notary.tiles alter column hashes set storage external;

create table notary.state (
  id        boolean primary key default true check (id),
  tree_size bigint not null check (tree_size >= 0),
  frontier  bytea[] not null,
  position  text
);

create table notary.checkpoints (
  tree_size bigint primary key check (tree_size > 0),
  root_hash bytea not null check (octet_length(root_hash) = 32),
  position  text not null,
  signed_at timestamptz not null,
  kid       text not null,
  jws       text not null
);
`,
};
