/**
 * Writing output files atomically: the bytes go to a temporary file beside the target, which is renamed
 * over it only when complete, so a failure never leaves a half-written file.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';
import { ioWhy } from './user-error.ts';

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
    throw new UserError(`${path}: cannot write in ${dir}: ${ioWhy(e)}`);
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
    throw new UserError(`${path}: cannot write: ${ioWhy(e)}`);
  }
}
