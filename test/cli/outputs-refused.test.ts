/**
 * Outputs graphc cannot or must not write (a folder that is not there or takes no file, a directory, one file
 * named twice, an input or a file the model reads): refused in one line before any work, nothing written
 * and the inputs left as they were.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectUserError, graphc, toyLike } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

const { scratch, out, file } = scratchFolders();

describe('bad input', () => {
  const csv = (name: string, text: string) => file(name, text);
  it('an unwritable output path: refused before training, nothing written', async () => {
    // a directory that does not exist (root may write anywhere else), and a read-only one when not root
    const targets = [join(out, 'no/such/dir/m.onnx')];
    if (process.getuid?.() !== 0) {
      const ro = join(out, 'readonly');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      targets.push(join(ro, 'model.onnx'));
    }
    for (const target of targets) {
      const r = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', target);
      expectUserError(r, /cannot write/);
      expect(r.stdout).not.toMatch(/Epoch/);
      expect(existsSync(target)).toBe(false);
    }
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('two outputs, one of them unwritable or both the same file: refused before any work, neither written', async () => {
    const first = join(out, 'first.onnx');
    const r = await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', first, '--onnx-train', join(out, 'no/such/dir/step.onnx'));
    expectUserError(r, /step\.onnx: cannot write: directory .* does not exist/);
    expect(existsSync(first)).toBe(false);
    const same = join(out, 'same.onnx');
    const t = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', same, '--plot', same);
    expectUserError(t, /same\.onnx: named by both --onnx and --plot: give each output its own file$/);
    expect(t.stdout).not.toMatch(/Epoch/);
    expectUserError(await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', same, '--onnx-train', `${out}/./same.onnx`), /named by both --onnx and --onnx-train/);
    expect(existsSync(same)).toBe(false);
  });
  it('an output that is one of the inputs: refused before any work, the input left as it was', async () => {
    // (copies in the scratch folder: the old code wrote over them)
    const model = file('overwritten.ts', toyLike(''));
    const data = csv('overwritten.csv', '1,2,0\n3,4,1\n');
    const before = [readFileSync(model, 'utf8'), readFileSync(data, 'utf8')];
    const cases: [string[], RegExp][] = [
      [['train', model, '--no-check', '--data', data, '--onnx', model], /overwritten\.ts: --onnx would write over the model file: give the output a file of its own$/],
      [['train', model, '--no-check', '--data', data, '--plot', `${scratch}/./overwritten.csv`], /overwritten\.csv: --plot would write over the --data file/],
      [['compile', model, '--no-check', '--onnx-train', model], /--onnx-train would write over the model file/],
      [['inspect', model, '-o', model], /-o would write over the model file/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args);
      expectUserError(r, message);
      expect(r.stdout).not.toMatch(/Epoch/);
    }
    const onnx = join(out, 'over.onnx');
    expect((await graphc('train', model, '--no-check', '--data', data, '--epochs', '0', '--onnx', onnx)).status).toBe(0);
    expectUserError(await graphc('run', onnx, '--input', data, '--output', data), /overwritten\.csv: --output would write over an --input file/);
    expect([readFileSync(model, 'utf8'), readFileSync(data, 'utf8')]).toEqual(before);
    // any other name is the user's choice, whatever its extension (as onnxruntime and torch.onnx.export take)
    const txt = join(out, 'model.txt');
    expect((await graphc('train', model, '--no-check', '--data', data, '--epochs', '0', '--onnx', txt)).status).toBe(0);
    expect(readFileSync(txt).subarray(0, 2)).toEqual(readFileSync(onnx).subarray(0, 2));
  });
  it('an output that is a file the model reads (its built-in data, a module it imports): refused, left as it was', async () => {
    const data = csv('builtin.csv', '1,2,0\n3,4,1\n');
    const helper = file('helper.ts', 'export const rate = 0.5;\n');
    const model = file(
      'reads.ts',
      toyLike('').replace("name: 'm',", `name: 'm',\n  data: new URL('./builtin.csv', import.meta.url),\n  train: { epochs: 1, lr: rate },`).replace(/^(import .*;)$/m, `$1\nimport { rate } from './helper.ts';`),
    );
    const before = [readFileSync(data, 'utf8'), readFileSync(helper, 'utf8')];
    const cases: [string[], RegExp][] = [
      [['train', model, '--no-check', '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m: give the output a file of its own$/],
      [['train', model, '--no-check', '--data', csv('other.csv', '1,2,0\n'), '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m/],
      [['compile', model, '--no-check', '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m/],
      [['compile', model, '--no-check', '--onnx-train', helper], /helper\.ts: --onnx-train would write over a module the model imports/],
      [['inspect', model, '-o', data, '--format', 'text'], /builtin\.csv: -o would write over the built-in data of model m/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args);
      expectUserError(r, message);
      expect(r.stdout).not.toMatch(/Epoch/);
    }
    expect([readFileSync(data, 'utf8'), readFileSync(helper, 'utf8')]).toEqual(before);
  });
  it('an output path that is a directory', async () => expectUserError(await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', out), /cannot write: is a directory/));
  it('a folder that takes no new file (/proc): refused before training, in words', async () => {
    const r = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', '/proc/graphc-test.onnx');
    expectUserError(r, /\/proc\/graphc-test\.onnx: cannot write in \/proc: no such file or directory$/);
    expect(r.stdout).not.toMatch(/Epoch/);
  });
});
