/**
 * Writing output files atomically: the bytes go to a temporary file beside the target, which is renamed
 * over it only when complete, so a failure never leaves a half-written file.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** What a failed write's error code means, in words. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
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

/**
 * Fails early (before long work) when `path` cannot be written: the folder must exist, and a file must
 * be creatable in it (tried, with the temporary name `writeAtomic` uses, and removed at once), which
 * also catches read-only mounts and special file systems that permission bits do not tell.
 */
export function checkWritable(path: string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  if (!existsSync(dir)) throw new UserError(`${path}: cannot write: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${path}: cannot write: ${dir} is not a directory`);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new UserError(`${path}: cannot write: is a directory`);
  const probe = tmpName(abs);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new UserError(`${path}: cannot write in ${dir}: ${why(e)}`);
  }
  unlinkSync(probe);
}

const tmpName = (abs: string) => join(dirname(abs), `.${basename(abs)}.${process.pid}.tmp`);

export function writeAtomic(path: string, data: Uint8Array | string): void {
  const abs = resolve(path);
  checkWritable(path);
  const tmp = tmpName(abs);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new UserError(`${path}: cannot write: ${why(e)}`);
  }
}
