/**
 * User-facing failures. A user's mistake (bad file, bad data, a shape error in the model) prints one line
 * `graphc: <what>` and exits 1, with no stack trace unless --debug; an internal error prints the stack.
 */
import { GraphError } from '../compiler/ir/errors.ts';
import { ShapeError } from '../compiler/ir/shape.ts';
import { DataError } from '../runtime/data.ts';
import { MemoryLimitError } from '../runtime/kernels/heap.ts';
import { UserError } from './user-error.ts';

export { UserError };

const userErrors = [UserError, GraphError, ShapeError, DataError, MemoryLimitError];

export function isUserError(e: unknown): boolean {
  return userErrors.some((c) => e instanceof c);
}

export function reportAndExit(e: unknown, debug: boolean): never {
  if (isUserError(e) && !debug) {
    process.stderr.write(`graphc: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }
  if (isUserError(e)) process.stderr.write(`graphc: ${(e as Error).message}\n${(e as Error).stack}\n`);
  else process.stderr.write(`graphc: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(isUserError(e) ? 1 : 2);
}
