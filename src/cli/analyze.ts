// `facetrail analyze <file> [--detector ssd|tiny] [--min-score N] [--max-faces N] [--threads N]
// [--annotate out.png]`: prints the analysis JSON; optionally writes an annotated PNG. The input is
// read and the --annotate folder checked before the models load: a typo fails in milliseconds.

import { access, constants, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { annotate } from '../inference/annotate.js';
import { FaceAnalyzer } from '../inference/analyzer.js';
import { InferenceInputError } from '../inference/errors.js';
import type { DetectorName } from '../inference/types.js';
import { checkArgs, CommandFailure, UsageError, type CommandOptions } from './command.js';
import { EX_CANTCREAT, EX_NOINPUT, fileProblem } from './describe-error.js';

export const summary = 'detect the faces of one image file and print the analysis JSON (no database needed)';
export const usage = [
  'usage: facetrail analyze <image> [--detector ssd|tiny] [--min-score N] [--max-faces N] [--threads N] [--annotate out.png]',
  '',
  'Runs the same detection, landmarks and descriptors as the workers on a JPEG/PNG/WebP file and',
  'prints the result. --annotate writes a PNG with the boxes and landmarks drawn (its folder must exist).',
].join('\n');
export const options = {
  detector: { type: 'string' },
  'min-score': { type: 'string' },
  'max-faces': { type: 'string' },
  threads: { type: 'string' },
  annotate: { type: 'string' },
} satisfies CommandOptions;
export const maxPositionals = 1;

const DETECTORS: readonly DetectorName[] = ['ssd', 'tiny'];

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got '${v}'`);
  return n;
}

/** The folder of `file` exists and is writable (else a one-line error before any analysis). */
async function checkWritable(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const info = await stat(dir).catch(() => undefined);
  const cannot = (why: string) => new CommandFailure(`cannot write --annotate ${file}: ${why}`, EX_CANTCREAT);
  if (!info?.isDirectory()) throw cannot(`the folder ${path.dirname(file)} does not exist`);
  await access(dir, constants.W_OK).catch(() => {
    throw cannot(`the folder ${path.dirname(file)} is not writable`);
  });
  if ((await stat(file).catch(() => undefined))?.isDirectory()) throw cannot('it is a directory');
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = checkArgs({ options, maxPositionals }, args);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('an image file is required');
  const detector = values.detector;
  if (detector !== undefined && !(DETECTORS as readonly string[]).includes(detector)) throw new UsageError(`--detector must be ${DETECTORS.join(' or ')} (got '${detector}')`);
  const opts = { detector: detector as DetectorName | undefined, minScore: num('min-score', values['min-score']), maxFaces: num('max-faces', values['max-faces']) };
  const threads = num('threads', values.threads);
  if (values.annotate !== undefined) await checkWritable(values.annotate);
  const bytes = await readFile(file).catch((err: unknown) => {
    throw new CommandFailure(fileProblem(err, file) ?? String(err), EX_NOINPUT);
  });
  const analyzer = await FaceAnalyzer.create({ threads });
  try {
    const result = await analyzer.analyze(bytes, opts);
    console.log(JSON.stringify(result, null, 2));
    if (values.annotate) {
      await writeFile(values.annotate, await annotate(bytes, result)).catch((err: unknown) => {
        throw new CommandFailure(fileProblem(err) ?? String(err), EX_CANTCREAT);
      });
      console.error(`annotated image written to ${values.annotate}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof InferenceInputError) {
      console.error(`facetrail analyze: ${err.code}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await analyzer.close();
  }
}
