// `facetrail analyze <file> [--detector ssd|tiny] [--min-score N] [--max-faces N] [--threads N]
// [--annotate out.png]`: prints the analysis JSON; optionally writes an annotated PNG.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { annotate } from '../inference/annotate.js';
import { FaceAnalyzer } from '../inference/analyzer.js';
import { InferenceInputError } from '../inference/errors.js';
import type { DetectorName } from '../inference/types.js';

export const summary = 'analyze <image> [--detector ssd|tiny] [--min-score N] [--max-faces N] [--threads N] [--annotate out.png]';

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InferenceInputError('invalid_options', `--${name} expects a number, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        detector: { type: 'string' },
        'min-score': { type: 'string' },
        'max-faces': { type: 'string' },
        threads: { type: 'string' },
        annotate: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`facetrail analyze: ${err instanceof Error ? err.message : String(err)}\nusage: facetrail ${summary}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(`usage: facetrail ${summary}`);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    console.error(`usage: facetrail ${summary}`);
    return 2;
  }
  const bytes = await readFile(file);
  const analyzer = await FaceAnalyzer.create({ threads: num('threads', values.threads) });
  try {
    const result = await analyzer.analyze(bytes, {
      detector: values.detector as DetectorName | undefined,
      minScore: num('min-score', values['min-score']),
      maxFaces: num('max-faces', values['max-faces']),
    });
    console.log(JSON.stringify(result, null, 2));
    if (values.annotate) {
      await writeFile(values.annotate, await annotate(bytes, result));
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
