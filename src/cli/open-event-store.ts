// The event store a CLI command uses: the configured adapter with personal data sealed and opened
// as the server roles see it (src/privacy), so what a command writes or rebuilds is what they do.

import type pg from 'pg';
import type { Config } from '../config.js';
import { personalData } from '../domain/personal-data.js';
import { createEventStore } from '../eventstore/create-event-store.js';
import type { EventStore } from '../eventstore/types.js';
import { startPrivacy } from '../privacy/start-privacy.js';

export async function openEventStore(config: Config, pool: pg.Pool): Promise<{ store: EventStore; close(): Promise<void> }> {
  const inner = await createEventStore({ eventStoreUrl: config.eventStoreUrl, esdbMaxAppendBytes: config.esdbMaxAppendBytes, pool, databaseUrl: config.databaseUrl });
  let privacy;
  try {
    privacy = await startPrivacy({ pool, databaseUrl: config.databaseUrl, settings: config.privacy, allowDevKek: config.nodeEnv !== 'production', declarations: personalData });
  } catch (err) {
    await inner.close().catch(() => undefined);
    throw err;
  }
  const store = privacy.seal(inner);
  return {
    store,
    async close() {
      await privacy.close().catch(() => undefined);
      await store.close();
    },
  };
}
