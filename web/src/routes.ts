// Every screen of the console, in navigation order.

import type { Screen } from './screen.js';
import { adminScreens } from './screens/admin/index.js';
import { auditorScreens } from './screens/auditor/index.js';
import { peopleScreens } from './screens/people/index.js';
import { userScreens } from './screens/user/index.js';

export const screens: readonly Screen[] = [...userScreens, ...peopleScreens, ...auditorScreens, ...adminScreens];
