/** A user's mistake: printed as one line `graphc: <what>`, exit 1 (cli/errors.ts reports it). */
export class UserError extends Error {
  override name = 'UserError';
}

/** What a failed file operation's error code means, in words (the code itself, or the message, otherwise). */
export function ioWhy(e: unknown): string {
  const code = (e as { code?: string }).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    ENAMETOOLONG: 'the name is too long',
  };
  return (code && words[code]) ?? code ?? (e as Error).message;
}
