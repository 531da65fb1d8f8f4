// `npm run cli -- users:create --email ada@example.com --role admin [--name "Ada"]`
// Creates a user of any role (the first admin included). The password comes from stdin, or a
// no-echo prompt on a terminal. Prints the new user id.

import { parseArgs } from 'node:util';
import { registerUser } from '../commands/identity/register-user.js';
import { loadConfig } from '../config.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { DomainError } from '../domain/decider.js';
import { isRole } from '../domain/identity/roles.js';
import { openEventStore } from './open-event-store.js';
import { positionToCursor } from '../eventstore/position.js';
import { readPassword } from './read-password.js';

export const summary = 'create a user (any role): users:create --email E --role admin|auditor|user [--name N]; password on stdin';

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, role: { type: 'string', default: 'user' }, name: { type: 'string' } }, strict: true });
  if (!values.email) {
    console.error('users:create: --email is required');
    return 2;
  }
  if (!isRole(values.role)) {
    console.error(`users:create: --role must be admin, auditor or user (got '${values.role}')`);
    return 2;
  }
  const password = await readPassword();
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { max: 2 });
  let opened: Awaited<ReturnType<typeof openEventStore>> | undefined;
  try {
    await migrate(pool);
    opened = await openEventStore(config, pool);
    const store = opened.store;
    const { userId, position } = await registerUser(
      store,
      { email: values.email, password, displayName: values.name ?? values.email.split('@')[0]!, role: values.role },
      { correlationId: `cli-${process.pid}-${Date.now()}`, actor: { id: `cli:${process.env.USER ?? 'unknown'}`, kind: 'system' } },
    );
    console.log(userId);
    console.error(`created ${values.role} ${values.email} (position ${positionToCursor(position)})`);
    return 0;
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(`users:create: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await opened?.close();
    await pool.end();
  }
}
