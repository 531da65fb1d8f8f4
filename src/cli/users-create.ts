// `npm run cli -- users:create --email ada@example.com --role admin [--name "Ada"]`
// Creates a user of any role (the first admin included). The password comes from stdin, or a
// no-echo prompt on a terminal. Prints the new user id.

import { registerUser } from '../commands/identity/register-user.js';
import { loadConfig } from '../config.js';
import { ensureDatabase } from '../db/ensure-database.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { DomainError } from '../domain/decider.js';
import { isRole } from '../domain/identity/roles.js';
import { checkArgs, UsageError, type CommandOptions } from './command.js';
import { openEventStore } from './open-event-store.js';
import { positionToCursor } from '../eventstore/position.js';
import { readPassword } from './read-password.js';

export const summary = 'create a user of any role (the first admin too); the password from stdin or a prompt';
export const usage = [
  'usage: facetrail users:create --email E [--role admin|auditor|user] [--name N]',
  '',
  'Creates a user (default role: user) and prints its id. The password is read from stdin when',
  'piped (echo "$PASSWORD" | facetrail users:create ...), else prompted twice without echo; at',
  'least 10 characters. --name: the display name (default: the part of the e-mail before @).',
].join('\n');
export const options = { email: { type: 'string' }, role: { type: 'string', default: 'user' }, name: { type: 'string' } } satisfies CommandOptions;

export async function run(args: string[]): Promise<number> {
  const { values } = checkArgs({ options }, args);
  if (!values.email) throw new UsageError('--email is required');
  if (!isRole(values.role)) throw new UsageError(`--role must be admin, auditor or user (got '${values.role}')`);
  const password = await readPassword();
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { max: 2, applicationName: 'facetrail-cli-users' });
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
      console.error(`facetrail users:create: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await opened?.close();
    await pool.end();
  }
}
