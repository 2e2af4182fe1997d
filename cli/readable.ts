/** Whether a file the user named can be read: a one-line user error when it is missing or a folder. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ioWhy, UserError } from './user-error.ts';

export function checkReadable(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`${path}: no such file (${what})`);
  if (statSync(abs).isDirectory()) throw new UserError(`${path}: is a directory, not a file (${what})`);
  try {
    accessSync(abs, constants.R_OK);
  } catch (e) {
    throw new UserError(`${path}: cannot read: ${ioWhy(e)} (${what})`);
  }
  return abs;
}
