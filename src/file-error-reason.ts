// Why a file could not be read or written, in words (`no such file or directory`), for the one-line
// messages that name the file and the variable it came from (PRIVACY_KEK_FILE, --jwks, …).

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
};

/** The reason of a file-system error (its code in words; the bare code when not known). */
export function fileErrorReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (!code) return error instanceof Error ? error.message : 'unknown error';
  return REASONS[code] ?? code;
}
