import type { Migration } from '../migrate.js';
import { eventStoreSchema } from './0001_event_store.js';
import { identityReadModels } from './0002_read_models_identity.js';
import { imagesSchema } from './0003_images.js';
import { readAllPage } from './0004_read_all_page.js';

/** Every migration, in order. Append only: never edit or reorder a migration that has shipped. */
export const migrations: readonly Migration[] = [eventStoreSchema, identityReadModels, imagesSchema, readAllPage];
