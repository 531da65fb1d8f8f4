// Builds the privacy layer of a process: the KEKs, the key store and the sealing wrapper of its
// event store. The composition root passes the modules' declarations (src/domain/personal-data.ts).

import type pg from 'pg';
import type { EventStore } from '../eventstore/types.js';
import type { PersonalDataDeclaration } from './declarations.js';
import { loadKekRing, type KekRing } from './kek.js';
import { KeyStore } from './key-store.js';
import { FieldOpener, personalDataRegistry, sealEventStore } from './sealing-event-store.js';

export interface PrivacySettings {
  kekFile: string | undefined;
  devKekFile: string;
  keyCacheEntries: number;
  keyCacheTtlMs: number;
}

export interface Privacy {
  readonly keys: KeyStore;
  readonly opener: FieldOpener;
  readonly kekSource: KekRing['source'];
  /** `store` with every declared personal field sealed on append and opened on read. */
  seal(store: EventStore): EventStore;
  close(): Promise<void>;
}

export async function startPrivacy(opts: {
  pool: pg.Pool;
  databaseUrl: string;
  settings: PrivacySettings;
  allowDevKek: boolean;
  declarations: readonly PersonalDataDeclaration[];
  onListenError?: (err: Error) => void;
}): Promise<Privacy> {
  const keks = await loadKekRing({ file: opts.settings.kekFile, devFile: opts.settings.devKekFile, allowDev: opts.allowDevKek });
  const keys = new KeyStore(opts.pool, keks, {
    cacheEntries: opts.settings.keyCacheEntries,
    cacheTtlMs: opts.settings.keyCacheTtlMs,
    databaseUrl: opts.databaseUrl,
    ...(opts.onListenError ? { onListenError: opts.onListenError } : {}),
  });
  const registry = personalDataRegistry(...opts.declarations);
  return {
    keys,
    opener: new FieldOpener(keys),
    kekSource: keks.source,
    seal: (store) => sealEventStore(store, keys, registry),
    close: () => keys.close(),
  };
}
