// Where the console's static build lives: <project root>/dist/web, written by `npm run build:web`
// (scripts/build-web.ts, run by prestart and by the test setup when the sources changed).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above this file that holds package.json (src/… and dist/… alike). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('facetrail: no package.json above the console module');
    dir = up;
  }
  return dir;
}

export const PROJECT_ROOT = projectRoot();
export const CONSOLE_SOURCE_DIR = path.join(PROJECT_ROOT, 'web');
export const CONSOLE_BUILD_DIR = path.join(PROJECT_ROOT, 'dist', 'web');
