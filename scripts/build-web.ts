// npm run build:web [-- --if-stale]: builds the console (web/ → dist/web). --if-stale: only when
// its sources changed since the last build (prestart and pretest use it).

import { buildWeb } from '../support/web-build.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--if-stale');
if (unknown.length > 0 || args.includes('--help')) {
  console.error(`usage: npm run build:web [-- --if-stale]${unknown.length > 0 ? `\nunknown option: ${unknown.join(' ')}` : ''}`);
  process.exit(64);
}
const result = await buildWeb({ force: !args.includes('--if-stale'), log: (line) => console.log(line) });
if (!result.built) console.log('console build is up to date (dist/web)');
