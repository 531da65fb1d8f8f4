// The `facetrail` command line: `npm run cli -- <command> [args]` or `npx facetrail <command>`.
// Each command lives in its own module under src/cli/ (a CommandModule: summary, usage, options,
// run). Modules are loaded lazily so one command never pays for another's imports — except for
// `facetrail help`, which loads them all to list their summaries.
// Before a command runs: `--help`/`-h` prints its usage and runs nothing; an unknown option or a
// surplus argument is a usage error (exit 64). What stops a command is one line on stderr
// (src/cli/describe-error.ts), and a reader that goes away (`| head`) ends the output quietly.

import { asksForHelp, checkArgs, EX_USAGE, type CommandModule } from './cli/command.js';
import { describeCliError } from './cli/describe-error.js';

const commands: Record<string, () => Promise<CommandModule>> = {
  migrate: () => import('./cli/migrate.js'),
  'users:create': () => import('./cli/users-create.js'),
  analyze: () => import('./cli/analyze.js'),
  'projections:rebuild': () => import('./cli/projections-rebuild.js'),
  'projections:verify': () => import('./cli/projections-verify.js'),
  'projections:status': () => import('./cli/projections-status.js'),
  'projections:prune': () => import('./cli/projections-prune.js'),
  'privacy:rewrap': () => import('./cli/privacy-rewrap.js'),
  'audit:verify': () => import('./cli/audit-verify.js'),
};

async function overview(): Promise<string> {
  const names = Object.keys(commands).sort();
  const mods = await Promise.all(names.map((n) => commands[n]!()));
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: facetrail <command> [options]        (npm run cli -- <command> [options])',
    '       facetrail <command> --help           the usage of one command',
    '',
    'commands:',
    ...names.map((n, i) => `  ${n.padEnd(width)}  ${mods[i]!.summary}`),
    '',
    'The commands read the same environment as the server (DATABASE_URL, REDIS_URL, EVENT_STORE_URL,',
    'PRIVACY_KEK_FILE, ...): without DATABASE_URL they use postgres://localhost:5432/facetrail.',
    'Exit codes: 0 ok, 1 failed, 64 bad usage, 66 input file missing, 69 PostgreSQL unreachable, 78 bad configuration.',
  ].join('\n');
}

// `facetrail … | head`: once the reader is gone, the rest of the output is dropped (the command
// still finishes what it does) instead of an unhandled EPIPE crashing the process mid-way.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(await overview());
    return EX_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0];
    if (name === 'help' && topic !== undefined && commands[topic]) {
      console.log((await commands[topic]()).usage);
      return 0;
    }
    if (name === 'help' && topic !== undefined) {
      console.error(`facetrail: unknown command '${topic}'\n\n${await overview()}`);
      return EX_USAGE;
    }
    console.log(await overview());
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`facetrail: unknown command '${name}'\n\n${await overview()}`);
    return EX_USAGE;
  }
  const mod = await load();
  if (asksForHelp(rest)) {
    console.log(mod.usage);
    return 0;
  }
  try {
    checkArgs(mod, rest);
    return await mod.run(rest);
  } catch (err) {
    const { message, exitCode } = describeCliError(err);
    console.error(`facetrail ${name}: ${message}${exitCode === EX_USAGE ? `\n\n${mod.usage}` : ''}`);
    if (exitCode === 1 && process.env.FACETRAIL_DEBUG) console.error(err);
    return exitCode;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`facetrail: ${describeCliError(err).message}`);
    process.exitCode = 1;
  },
);
