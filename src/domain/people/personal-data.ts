// The people module's personal data (DESIGN.md §9): a person's name, sealed under the owner's
// face_recognition key — withdrawing that consent or erasing the account ends every name. The
// faces a person holds are ids (the biometric data stays in the images' analyses).

import type { PersonalDataDeclaration } from '../../privacy/declarations.js';

const ownerKey = (_stream: string, data: Readonly<Record<string, unknown>>) => ({ purpose: 'face_recognition' as const, subjectId: String(data.ownerId) });

export const peoplePersonalData: PersonalDataDeclaration = {
  PersonCreated: { fields: ['name'], key: ownerKey },
  PersonRenamed: { fields: ['name'], key: ownerKey },
};
