// The key scope of a day of access records: a name-based UUID (v5) of the day, so the sealing
// declaration (pure: from the stream name) and the retention task (which shreds it) name the same
// key scope without any lookup. The scope is not a person: it only groups a day's records under one
// key, so shredding it ends every record of that day at once.

import { nameBasedUuid } from '../name-based-id.js';

const NAMESPACE = '9b1f6c0e2a7d4c58a3e6b0d4f1c2a7e9';
const uuidV5 = (name: string): string => nameBasedUuid(NAMESPACE, name);

/** The key-store subject of a day's access records (`access_log` purpose). */
export const accessPeriodSubject = (day: string): string => uuidV5(`access-log\n${day}`);

/** The erasure id under which retention shreds a day's key (idempotent per day). */
export const accessPeriodErasureId = (day: string): string => uuidV5(`access-log-expiry\n${day}`);
