// Every module's declaration of the personal data in its events, for the sealing event store
// (src/privacy). A module that adds an event with personal or biometric fields declares them in its
// own personal-data.ts and is listed here; tests/unit/domain/personal-data.test.ts checks the list.

import type { PersonalDataDeclaration } from '../privacy/declarations.js';
import { accessPersonalData } from './access/personal-data.js';
import { identityPersonalData } from './identity/personal-data.js';
import { imagesPersonalData } from './images/personal-data.js';
import { peoplePersonalData } from './people/personal-data.js';

export const personalData: readonly PersonalDataDeclaration[] = [identityPersonalData, imagesPersonalData, accessPersonalData, peoplePersonalData];
