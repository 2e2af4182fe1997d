/**
 * User-facing failures. A user's mistake (bad file, bad data, a shape error in the model) prints one line
 * `graphc: <what>` and exits 1, with no stack trace unless --debug; an internal error prints the stack.
 */
import { GraphError } from '../compiler/ir/errors.ts';
import { ShapeError } from '../compiler/ir/shape.ts';
import { DataError } from '../runtime/data.ts';
import { MemoryLimitError } from '../runtime/kernels/heap.ts';
import { UserError } from './user-error.ts';
import { displayFile, originalPos } from '../compiler/ir/source.ts';

export { UserError };

const userErrors = [UserError, GraphError, ShapeError, DataError, MemoryLimitError];

export function isUserError(e: unknown): boolean {
  return userErrors.some((c) => e instanceof c);
}

/**
 * A stack with each frame in a bundled model shown at the user's file, line and column (through the
 * bundle's source map); other frames as they are.
 */
export function userStack(stack: string): string {
  return stack.replace(/((?:file:\/\/)?\/[^()\s]*?):(\d+):(\d+)/g, (whole, file: string, line: string, col: string) => {
    const p = originalPos(file, Number(line), Number(col));
    return p.file === file && p.line === Number(line) ? whole : `${displayFile(p.file)}:${p.line}:${p.col}`;
  });
}

export function reportAndExit(e: unknown, debug: boolean): never {
  if (isUserError(e) && !debug) {
    process.stderr.write(`graphc: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }
  if (isUserError(e)) {
    process.stderr.write(`graphc: ${(e as Error).message}\n${(e as Error).stack}\n`);
    // what the model threw, where it threw it (the line above names only graphc's frames)
    const cause = (e as Error).cause;
    if (cause !== undefined) process.stderr.write(`caused by: ${cause instanceof Error && cause.stack ? userStack(cause.stack) : String(cause)}\n`);
  }
  else process.stderr.write(`graphc: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(isUserError(e) ? 1 : 2);
}
