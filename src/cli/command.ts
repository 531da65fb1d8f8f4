// What every `facetrail` command module exports (src/cli.ts loads them lazily), and the checks the
// dispatcher runs on a command line before the command does anything: `--help` prints the usage
// and runs nothing; an unknown option or a surplus argument is a usage error (exit 64, EX_USAGE).

import { parseArgs, type ParseArgsConfig } from 'node:util';

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

export interface CommandModule {
  /** One line for `facetrail help`. */
  summary: string;
  /** The full usage text of `facetrail <command> --help`. */
  usage: string;
  /** The options the command accepts (node:util parseArgs); `--help` is added by the dispatcher. */
  options: CommandOptions;
  /** How many positional arguments it takes at most (default 0). */
  maxPositionals?: number;
  run(args: string[]): Promise<number>;
}

/** sysexits.h: the command was used incorrectly. */
export const EX_USAGE = 64;

/** A bad command line: printed as `facetrail <command>: <message>` with the usage, exit 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command cannot go on for a reason the user can fix: printed as one line, with this exit code. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** True when `--help`/`-h` appears before any `--` (the command then only prints its usage). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Parses the arguments as the command will; throws UsageError on an unknown option, a missing value or a surplus argument. */
export function checkArgs<O extends CommandOptions>(mod: { options: O; maxPositionals?: number }, args: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: mod.options, allowPositionals: true as const, strict: true as const });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  const max = mod.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `'${a}'`).join(' ')}`);
  }
  return parsed;
}

/** node:util's messages carry a hint for a different program ("To specify a positional argument starting with a '-'…"): keep the first sentence. */
function parseArgsMessage(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /Unknown option '([^']+)'/.exec(message);
    return `unknown option '${m?.[1] ?? message}'`;
  }
  return message.split('. ')[0]!.replace(/\.$/, '');
}
