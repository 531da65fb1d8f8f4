// The auditor's screens: the event timeline, one image's history, log verification, the access log.

import type { Screen } from '../../screen.js';

export const auditorScreens: readonly Screen[] = [];
