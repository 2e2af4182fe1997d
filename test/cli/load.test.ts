/**
 * Loading model files as a user writes them: TypeScript or JavaScript, in any folder, whatever they
 * throw; the check honours the user's tsconfig.json and is redone when anything the model imports
 * changes; nothing is written beside the model; the command line names its commands without loading them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { graphc as runGraphc, root, run } from '../support/cli.ts';
import { expectUserError } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

// models live inside the repo, so that 'graphc' resolves by the package's own name; a cache of their own
const { scratch, file } = scratchFolders('load-');
const cache = mkdtempSync(join(tmpdir(), 'graphc-cache-test-'));
const env = { ...process.env, GRAPHC_CACHE: cache };
const graphc = (...args: string[]) => runGraphc(args, { env, timeout: 120_000 });

const model = (body: string, imports = "import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';") => `${imports}
export default defineModel({
  name: 'm',
  data: { x: [[1, 2], [2, 3], [3, 1], [4, 3]], y: [[0], [0], [1], [1]] },
  train: { epochs: 2, lr: 1, logEvery: 1 },
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    ${body}
    const h = sigmoid(x.matmul(param('W', [2, 1], zeros())));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
`;

describe('what a model throws', () => {
  it('throw null while building: one line naming the file', async () => {
    const f = file('null.ts', model('if (x) throw null;'));
    expectUserError(await graphc('train', f, '--no-check'), /null\.ts: the model threw while building its graph: threw null/);
  });
  it('a thrown string at load time', async () => {
    const f = file('string.ts', `throw 'no data today';\n${model('')}`);
    expectUserError(await graphc('train', f, '--no-check'), /string\.ts: the model module failed to load: no data today/);
  });
  it('a top-level await that never settles', async () => {
    const f = file('stuck.ts', `await new Promise(() => {});\n${model('')}`);
    expectUserError(await graphc('train', f, '--no-check'), /stuck\.ts: the model module never finished loading/);
  });
  it('with --debug, what the model threw, its stack at the user\'s lines', async () => {
    const f = file('debug.ts', `function helper(): number {\n  throw new Error('helper says no');\n}\n${model('const w = helper();')}`);
    const r = await graphc('--debug', 'train', f, '--no-check');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^graphc: .*debug\.ts:2:\d+: the model threw while building its graph: helper says no$/m);
    expect(r.stderr).toMatch(/^caused by: Error: helper says no\n\s+at helper \(.*debug\.ts:2:\d+\)\n\s+at .*build \(.*debug\.ts:12:\d+\)/m);
  });
  it('a syntax error without the check: the transpiler\'s message at the user\'s line and column', async () => {
    const f = file('syntax.ts', `const a = 1;\nconst b = (2;\n${model('')}`);
    expectUserError(await graphc('train', f, '--no-check'), /syntax\.ts:2:\d+: Expected "\)" but found ";"/);
  });
});

describe('model files', () => {
  it('.js and .mjs models train', async () => {
    for (const name of ['plain.js', 'plain.mjs']) {
      const r = await graphc('train', file(name, model('')), '--no-check');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Epoch    2/2 Cost:');
    }
    expect((await graphc('check', join(scratch, 'plain.js'))).stdout).toMatch(/JavaScript model: nothing to type-check/);
  });

  it('a model in a CommonJS-scope folder loads, and nothing is written beside it', async () => {
    const dir = join(scratch, 'cjs');
    file('cjs/package.json', JSON.stringify({ name: 'x', type: 'commonjs' }));
    const f = file('cjs/model.ts', model(''));
    const before = readdirSync(dir).sort();
    // (the check is the pack test's: here the folder's own package.json hides graphc's name)
    const r = await graphc('train', f, '--no-check');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('built-in data that is missing or bad: named from the working directory, as the model\'s', async () => {
    const rel = relative(root, scratch);
    const named = (csv: string) => model('').replace(/data: \{[^\n]*\},/, `data: new URL('./${csv}', import.meta.url),`);
    expectUserError(await graphc('train', file('no-data.ts', named('nowhere.csv')), '--no-check'), new RegExp(`^graphc: ${rel}/nowhere\\.csv: no such file \\(the built-in data of model m\\)$`));
    file('bad-cell.csv', '1,2,0\n3,four,1\n');
    expectUserError(await graphc('train', file('bad-data.ts', named('bad-cell.csv')), '--no-check'), new RegExp(`^graphc: ${rel}/bad-cell\\.csv:2: column 2 is not a number: 'four'$`));
  });

  it('positions in the user\'s file survive bundling: a model that imports a helper', async () => {
    file('helper/layer.ts', "export const width = (): number => {\n  throw new Error('helper says no');\n};\n");
    const f = file('uses-helper.ts', model('const w = width();', "import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';\nimport { width } from './helper/layer.ts';"));
    expectUserError(await graphc('train', f, '--no-check'), /uses-helper\.ts:10:\d+: the model threw while building its graph: helper says no/);
  });
});

describe('the check', () => {
  it('is redone when a file the model imports changes', async () => {
    file('dep/sizes.ts', 'export const inner = 2 as const;\n');
    const f = file('dep/model.ts', model("const W2 = param('W2', [inner, 1], zeros()); x.matmul(W2);", "import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';\nimport { inner } from './sizes.ts';"));
    expect((await graphc('check', f)).status).toBe(0);
    expect((await graphc('check', f)).status).toBe(0); // cached
    file('dep/sizes.ts', 'export const inner = 3 as const;\n');
    const r = await graphc('check', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/model\.ts:10:\d+: shape error: matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
  });

  it('honours the user\'s tsconfig.json: a model reading process.env with @types/node', async () => {
    const f = file('env/model.ts', model("const lr = Number(process.env.LR ?? '1');"));
    // without a tsconfig of its own the repository's applies; give the folder one with no Node types
    file('env/tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, types: [], skipLibCheck: true } }));
    const without = await graphc('check', f);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/Cannot find name 'process'/);
    file('env/tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, types: ['node'], skipLibCheck: true } }));
    const withNode = await graphc('check', f);
    expect(withNode.status, withNode.stderr).toBe(0);
    expect(withNode.stdout).toMatch(/no type errors/);
  });

  it('a model where graphc is not installed: checked against this graphc, as it runs with it', async () => {
    // a folder of the user's own, outside any project: 'graphc' resolves nowhere from it, yet the model
    // loads (the bundle takes this command line's graphc), so the check must read the same declarations
    const dir = mkdtempSync(join(tmpdir(), 'graphc-own-'));
    try {
      const f = join(dir, 'model.ts');
      writeFileSync(f, model(''));
      const ok = await graphc('check', f);
      expect(ok.stderr).not.toMatch(/Cannot find module 'graphc'/);
      expect(ok.status, ok.stderr).toBe(0);
      const trained = await graphc('train', f);
      expect(trained.status, trained.stderr).toBe(0);
      expect(trained.stdout).toContain('Epoch    2/2 Cost:');
      // and its types still catch a shape error there
      writeFileSync(f, model("const W3 = param('W3', [3, 1], zeros()); x.matmul(W3);"));
      const bad = await graphc('check', f);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/model\.ts:9:\d+: shape error: matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a type error stops train before any output, even with the model trained meanwhile', async () => {
    const f = file('bad.ts', model("const W3 = param('W3', [3, 1], zeros()); x.matmul(W3);"));
    const onnx = join(scratch, 'bad.onnx');
    const r = await graphc('train', f, '--onnx', onnx);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bad\.ts:9:\d+: shape error: matmul inner dimensions differ/);
    expect(readdirSync(scratch)).not.toContain('bad.onnx');
  });
});

describe('the command line', () => {
  it('--help names every command; a command\'s help lists its options', async () => {
    const help = await graphc('--help');
    for (const c of ['compile', 'train', 'run', 'check', 'inspect']) expect(help.stdout).toMatch(new RegExp(`^\\s+${c} `, 'm'));
    // help for a command it lacks: said so, as for the command itself
    const unknown = await graphc('help', 'trian');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^graphc: unknown command 'trian'$/m);
    // and the environment variables it reads
    for (const v of ['GRAPHC_CACHE', 'GRAPHC_QUIET']) expect(help.stdout).toMatch(new RegExp(`^\\s+${v} `, 'm'));
    expect((await graphc('help', 'train')).stdout).toContain('--batch-size');
    expect((await graphc('--threads', '1', 'train', '--help')).stdout).toContain('--batch-size');
  });

  it('on a terminal, says at once what it is doing (and erases it before the output)', async () => {
    const f = file('tty.ts', model('// tty'));
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin/graphc.js'))} train ${JSON.stringify(relative(root, f))}`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...env, GRAPHC_QUIET: '' }, timeout: 120_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[2Kchecking test\/cli\/\.scratch-load-/);
    expect(r.stdout).toContain('Epoch    0/2 Cost');
  });
});
