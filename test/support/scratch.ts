/**
 * Scratch folders for the command-line tests: model files live inside the repo (models import 'graphc' by
 * its name, which resolves only there), outputs in the run's temporary folder.
 */
import { afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './cli.ts';

/**
 * The calling test file's folders: `scratch` for model files (`test/cli/.scratch-<name>XXXXXX`), removed
 * when the file's tests are done, and `out` for outputs (in the run's temporary folder); `file` writes a
 * file into `scratch` (its folders made as needed) and returns its path.
 */
export function scratchFolders(name = ''): { scratch: string; out: string; file: (path: string, text: string) => string } {
  const scratch = mkdtempSync(join(root, `test/cli/.scratch-${name}`));
  // (a test process's 'exit' is not its worker's end: removed when the file's tests are done)
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const out = mkdtempSync(join(tmpdir(), 'graphc-cli-'));
  const file = (path: string, text: string): string => {
    const p = join(scratch, path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  return { scratch, out, file };
}
