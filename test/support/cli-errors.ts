/**
 * What the tests of bad input to graphc's command line share (their scratch folders: scratch.ts): a toy
 * model to vary, and the check that a refusal is what a user should meet (one line `graphc: ...`, exit 1,
 * no stack trace).
 */
import { expect } from 'vitest';
import { graphc as runGraphc, type Ran } from './cli.ts';

/** Runs `graphc ...args` as a user would. */
export const graphc = (...args: string[]) => runGraphc(args);

/** A refusal a user should meet: exit 1, the last line `graphc: ...` matching `message`, no stack trace or internal error. */
export function expectUserError(r: Ran, message: RegExp) {
  expect(r.status, r.stderr).toBe(1);
  // the message is one line; for a mistyped option or command, the parser adds a hint line below it
  const lines = r.stderr.trim().split('\n').filter((l) => !/^\((run with --help|Did you mean)/.test(l));
  expect(lines.at(-1)).toMatch(/^graphc: /);
  expect(lines.at(-1)).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/); // no stack trace, no internal error
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
