// The real sample photos shipped with @vladmandic/face-api (six JPEGs with faces), used by the
// tests, the benchmarks and the cluster demo.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
/** The installed @vladmandic/face-api package (its demo photos and its models). */
export const FACE_API_DIR = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
export const SAMPLE_DIR = path.join(FACE_API_DIR, 'demo');
/** sample1.jpg … sample6.jpg. */
export const SAMPLES = [1, 2, 3, 4, 5, 6].map((i) => path.join(SAMPLE_DIR, `sample${i}.jpg`));

/** The bytes of sample `i` (1 to 6). */
export const readSample = (i: number) => readFile(SAMPLES[i - 1]!);
