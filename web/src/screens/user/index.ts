// The user's screens: consent, upload, the gallery, one image, erasure.

import { EVERYONE, type Screen } from '../../screen.js';
import { ConsentScreen } from './consent.js';

export const userScreens: readonly Screen[] = [{ path: '/consent', title: 'Consent', roles: EVERYONE, nav: 'Account', component: ConsentScreen }];
