// Retention of one day of access records: shred the day's `access_log` key, then record
// AccessRecordsExpired on `access-expiry-<day>` (the access-records projection deletes the day's
// rows on it). In that order: a crash after the shred leaves the rows, so the next run finds the
// day again, shreds again (idempotent: same erasure id) and records the fact; the other order could
// record the expiry and lose the shred. The records stay in the log as facts whose personal fields
// read as erased; their sealed form, which the notary hashed, is untouched.

import { accessExpiryDecider } from '../../domain/access/access-expiry.js';
import { accessExpiryStream } from '../../domain/access/access-events.js';
import { accessPeriodErasureId, accessPeriodSubject } from '../../domain/access/period-key.js';
import type { EventStore, Position } from '../../eventstore/types.js';
import type { KeyStore } from '../../privacy/key-store.js';
import { handleCommand } from '../command-handler.js';
import type { CommandContext } from '../context.js';

export interface ExpireAccessDayDeps {
  store: EventStore;
  keys: Pick<KeyStore, 'shred'>;
}

export async function expireAccessDay(deps: ExpireAccessDayDeps, day: string, retentionDays: number, ctx: CommandContext): Promise<{ shreddedKeys: string[]; position: Position | undefined }> {
  const shredded = await deps.keys.shred(accessPeriodErasureId(day), { subjectId: accessPeriodSubject(day) });
  const shreddedKeys = shredded.map((k) => k.kid);
  const result = await handleCommand(deps.store, accessExpiryDecider, accessExpiryStream(day), { type: 'ExpireAccessDay', day, retentionDays, shreddedKeys }, ctx);
  return { shreddedKeys, position: result.position };
}
