// One clear line for what stops a command: a file that cannot be read or written
// (`cannot open photo.jpg: no such file or directory`, not `ENOENT: no such file or directory, open
// 'photo.jpg'`), PostgreSQL out of reach (src/db/connection-error.ts), a bad configuration, and the
// exit code each deserves (sysexits.h).

import { ConfigError } from '../config.js';
import { PostgresUnreachableError } from '../db/connection-error.js';
import { fileErrorReason } from '../file-error-reason.js';
import { CommandFailure, EX_USAGE, UsageError } from './command.js';

export const EX_SOFTWARE = 70;
export const EX_UNAVAILABLE = 69;
export const EX_NOINPUT = 66;
export const EX_CANTCREAT = 73;
export const EX_IOERR = 74;
export const EX_CONFIG = 78;

const VERBS: Record<string, string> = { open: 'open', read: 'read', write: 'write', mkdir: 'create', rename: 'rename', unlink: 'remove', stat: 'find', lstat: 'find', scandir: 'list', access: 'open' };

/** A file-system error (has `syscall` and `path`) as `cannot open <path>: <reason>`. */
export function fileProblem(err: unknown, path?: string): string | undefined {
  const e = err as NodeJS.ErrnoException;
  const file = typeof e.path === 'string' ? e.path : path;
  if (!(err instanceof Error) || file === undefined || typeof e.code !== 'string') return undefined;
  const reason = fileErrorReason(err);
  const verb = (e.syscall && VERBS[e.syscall]) ?? 'open';
  return `cannot ${verb} ${file}: ${reason}`;
}

/** The line to print (after `facetrail <command>: `) and the exit code for an error a command threw. */
export function describeCliError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) return { message: err.message, exitCode: EX_USAGE };
  if (err instanceof CommandFailure) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EX_CONFIG };
  if (err instanceof PostgresUnreachableError) return { message: err.message, exitCode: EX_UNAVAILABLE };
  const file = fileProblem(err);
  if (file) {
    const code = (err as NodeJS.ErrnoException).code;
    return { message: file, exitCode: code === 'ENOENT' || code === 'EACCES' ? EX_NOINPUT : EX_IOERR };
  }
  return { message: err instanceof Error ? err.message : String(err), exitCode: 1 };
}
