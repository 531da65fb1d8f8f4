// The identity module's personal data (DESIGN.md §9): an account's e-mail, display name and password
// hash, sealed under the user's profile key.

import type { PersonalDataDeclaration } from '../../privacy/declarations.js';

const userIdOfStream = (stream: string) => stream.slice('user-'.length);

export const identityPersonalData: PersonalDataDeclaration = {
  UserRegistered: { fields: ['email', 'displayName', 'passwordHash'], key: (stream) => ({ purpose: 'profile', subjectId: userIdOfStream(stream) }) },
  UserPasswordChanged: { fields: ['passwordHash'], key: (stream) => ({ purpose: 'profile', subjectId: userIdOfStream(stream) }) },
};
