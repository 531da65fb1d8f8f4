// People: faces grouped into people, rename, merge, undo, search by photo.

import type { Screen } from '../../screen.js';

export const peopleScreens: readonly Screen[] = [];
