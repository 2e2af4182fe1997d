/** Whether a file the user named can be read: a one-line user error when it is missing or a folder. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from './user-error.ts';

export function checkReadable(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`${path}: no such file (${what})`);
  if (statSync(abs).isDirectory()) throw new UserError(`${path}: is a directory, expected a ${what}`);
  return abs;
}
