/**
 * Writing output files atomically: the bytes go to a temporary file beside the target, which is renamed
 * over it only when complete, so a failure never leaves a half-written file.
 */
import { accessSync, constants, renameSync, unlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** Fails early (before long work) when `path` cannot be written. */
export function checkWritable(path: string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  if (!existsSync(dir)) throw new UserError(`${path}: cannot write: directory ${dir} does not exist`);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new UserError(`${path}: cannot write: is a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${path}: cannot write: directory ${dir} is not writable`);
  }
}

export function writeAtomic(path: string, data: Uint8Array | string): void {
  const abs = resolve(path);
  const dir = dirname(abs);
  checkWritable(path);
  const tmp = join(dir, `.${basename(abs)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new UserError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
