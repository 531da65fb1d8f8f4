import type { Migration } from './migration.js';
import { eventStoreSchema } from './0001_event_store.js';
import { identityReadModels } from './0002_read_models_identity.js';
import { imagesSchema } from './0003_images.js';
import { scalablePlans } from './0004_scalable_plans.js';
import { facesPerImage } from './0005_faces_per_image.js';
import { eventPayloadLz4 } from './0006_event_payload_lz4.js';
import { facesByReference } from './0007_faces_by_reference.js';
import { checkpointSource } from './0008_checkpoint_source.js';
import { appendOne } from './0010_append_one.js';
import { boundedReadAllPage } from './0009_bounded_read_all_page.js';
import { appendWithoutNotify } from './0011_append_without_notify.js';
import { keyStore } from './0012_key_store.js';
import { notarySchema } from './0013_notary.js';
import { accessRecords } from './0014_access_records.js';
import { filenameByReference } from './0015_filename_by_reference.js';
import { faceIndex } from './0016_face_index.js';
import { people } from './0017_people.js';

/** Every migration, in order. Append only: never edit or reorder a migration that has shipped. */
export const migrations: readonly Migration[] = [eventStoreSchema, identityReadModels, imagesSchema, scalablePlans, facesPerImage, eventPayloadLz4, facesByReference, checkpointSource, boundedReadAllPage, appendOne, appendWithoutNotify, keyStore, notarySchema, accessRecords, filenameByReference, faceIndex, people];
