/**
 * What the tests of bad input to graphc's command line share: scratch folders for the model and data
 * files they write, a toy model to vary, and the check that a refusal is what a user should meet (one line
 * `graphc: ...`, exit 1, no stack trace).
 */
import { afterAll, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphc as runGraphc, root, type Ran } from './cli.ts';

/** Runs `graphc ...args` as a user would. */
export const graphc = (...args: string[]) => runGraphc(args);

/**
 * The calling test file's folders: `scratch` for model files (inside the repo, as graphs/ imports 'graphc' by
 * its name), removed when the file's tests are done, and `out` for outputs (in the run's temporary folder);
 * `file` writes a file into `scratch` and returns its path.
 */
export function scratchFolders(): { scratch: string; out: string; file: (name: string, text: string) => string } {
  const scratch = mkdtempSync(join(root, 'test/cli/.scratch-'));
  // (a test process's 'exit' is not its worker's end: removed when the file's tests are done)
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const out = mkdtempSync(join(tmpdir(), 'graphc-cli-'));
  const file = (name: string, text: string): string => {
    const p = join(scratch, name);
    writeFileSync(p, text);
    return p;
  };
  return { scratch, out, file };
}

export function expectUserError(r: Ran, message: RegExp) {
  expect(r.status, r.stderr).toBe(1);
  // the message is one line; for a mistyped option or command, the parser adds a hint line below it
  const lines = r.stderr.trim().split('\n').filter((l) => !/^\((run with --help|Did you mean)/.test(l));
  expect(lines.at(-1)).toMatch(/^graphc: /);
  expect(lines.at(-1)).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

/** A model like graphs/toy.ts (model m: x [N, 2] to y [N, 1]) with `body` run while its graph is built. */
export const toyLike = (body: string) => `import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'm',
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const W = param('W', [2, 1], zeros());
    ${body}
    const h = sigmoid(x.matmul(W));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
`;
