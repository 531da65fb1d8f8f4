// The admin's screens: users, roles, deactivation; the queue board.

import type { Screen } from '../../screen.js';

export const adminScreens: readonly Screen[] = [];
