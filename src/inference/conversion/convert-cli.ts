// `npm run models [-- --if-stale] [--out DIR]`: converts face-api's tfjs weights to ONNX in models/.
import { convertAll } from './convert-all.js';
import { DEFAULT_MODELS_DIR, staleReason } from './model-files.js';

async function main(argv: string[]): Promise<number> {
  const ifStale = argv.includes('--if-stale');
  const outIdx = argv.indexOf('--out');
  const dir = outIdx >= 0 && argv[outIdx + 1] ? argv[outIdx + 1]! : DEFAULT_MODELS_DIR;
  if (ifStale) {
    const reason = await staleReason(dir);
    if (reason === undefined) return 0;
    console.log(`models: reconverting (${reason})`);
  }
  const manifest = await convertAll(dir, (line) => console.log(`models: ${line}`));
  console.log(`models: wrote ${Object.keys(manifest.models).length} models and manifest.json to ${dir}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
