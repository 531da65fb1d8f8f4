// `npm run bench -- <suite> [<suite> …]`: runs benchmark suites. Each suite prints a table and
// writes bench/results/<suite>.json. With no argument every suite runs.

type Suite = () => Promise<{ run(args: string[]): Promise<void> }>;

const suites: Record<string, Suite> = {
  eventstore: () => import('./eventstore.js'),
  inference: () => import('./inference.js'),
  auth: () => import('./auth.js'),
  pipeline: () => import('./pipeline.js'),
  'upload-burst': () => import('./upload-burst.js'),
  replay: () => import('./replay.js'),
  reads: () => import('./reads.js'),
  notary: () => import('./notary.js'),
  'access-log-reads': () => import('./access-log-reads.js'),
  search: () => import('./search.js'),
  console: () => import('./console.js'),
};

async function main(argv: string[]): Promise<void> {
  const flags = argv.filter((a) => a.startsWith('-'));
  const names = argv.filter((a) => !a.startsWith('-'));
  const selected = names.length > 0 ? names : Object.keys(suites);
  for (const name of selected) {
    const load = suites[name];
    if (!load) throw new Error(`unknown bench suite '${name}' (known: ${Object.keys(suites).join(', ')})`);
  }
  for (const name of selected) {
    const suite = await suites[name]!();
    console.log(`\n## bench: ${name}`);
    await suite.run(flags);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
