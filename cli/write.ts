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
  try {
    replaceWhole(abs, tmpName(abs), data);
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${ioWhy(e)}`);
  }
}

/**
 * Writes `data` to `tmp` and renames it over `file`, so readers see the file whole or not at all; on a
 * failure the temporary file is removed and the error rethrown for the caller to name.
 */
export function replaceWhole(file: string, tmp: string, data: Uint8Array | string): void {
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}
