// The `facetrail` command line: `npm run cli -- <command> [args]` or `npx facetrail <command>`.
// Each command lives in its own module under src/cli/ and exports `run(args): Promise<number>`
// (the process exit code). Modules are loaded lazily so one command never pays for another's imports.

type CommandModule = { run(args: string[]): Promise<number>; summary: string };

const commands: Record<string, () => Promise<CommandModule>> = {
  migrate: () => import('./cli/migrate.js'),
  'users:create': () => import('./cli/users-create.js'),
  analyze: () => import('./cli/analyze.js'),
  'projections:rebuild': () => import('./cli/projections-rebuild.js'),
  'projections:verify': () => import('./cli/projections-verify.js'),
  'projections:status': () => import('./cli/projections-status.js'),
  'privacy:rewrap': () => import('./cli/privacy-rewrap.js'),
  'audit:verify': () => import('./cli/audit-verify.js'),
};

function usage(): string {
  return [
    'usage: facetrail <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands)
      .sort()
      .map((name) => `  ${name}`),

  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`facetrail: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `facetrail: ${err.message}` : err);
    process.exitCode = 1;
  },
);
