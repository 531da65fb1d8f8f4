// The tables of the users read model: rm.users declared once, column by column against the user
// view's fields (src/domain/identity/user-view.ts); the projection writes rows from it, the
// queries select and decode rows with it.

import { ROLES } from '../../domain/identity/roles.js';
import { USER_STATUSES, type UserViewState } from '../../domain/identity/user-view.js';
import type { ReadModelTables } from '../projection.js';
import { bigint, oneOf, table, text, timestamptz, uuid } from '../table-columns.js';

export const usersTable = table<UserViewState>('users', 'userId', {
  userId: uuid('primary key'),
  email: text('not null unique'),
  displayName: text('not null'),
  role: oneOf(ROLES),
  status: oneOf(USER_STATUSES),
  createdAt: timestamptz('not null'),
  updatedAt: timestamptz('not null'),
  revision: bigint('not null'),
});

export const usersTables: ReadModelTables = {
  tables: [usersTable.spec],
  createTables: (s) => /* sql */ `
    create table ${s}.users (
${usersTable.columnsDdl()}
    );`,
  createIndexes: () => '',
};
