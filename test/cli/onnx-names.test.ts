/**
 * An ONNX file under any name: `--onnx` writes one under the name the user gives (any extension, as
 * onnxruntime and torch.onnx.export take), and `run` reads any name; `inspect` and `train` take it too,
 * recognised by its contents where the name does not say .onnx. A file that is neither a model module nor
 * ONNX is refused, saying both kinds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphc as runGraphc } from '../support/cli.ts';
import { expectUserError } from '../support/cli-errors.ts';

const out = mkdtempSync(join(tmpdir(), 'graphc-onnx-names-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const graphc = (...args: string[]) => runGraphc(args, { timeout: 120_000 });

describe('an ONNX file not named .onnx', () => {
  it('written by --onnx under any name, it is inspected and trained as it is run', async () => {
    const model = join(out, 'toy.model');
    const w = await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', model);
    expect(w.status, w.stderr).toBe(0);
    const upper = join(out, 'TOY.ONNX');
    copyFileSync(model, upper);
    for (const f of [model, upper]) {
      const r = await graphc('run', f, '--input', 'data/toy.csv');
      expect(r.status, r.stderr).toBe(0);
      const i = await graphc('inspect', f);
      expect(i.status, i.stderr).toBe(0);
      expect(i.stdout).toMatch(/^graph toy \{/);
      expect(i.stdout).toContain('return predict');
      const t = await graphc('train', f, '--data', 'data/toy.csv', '--epochs', '1');
      expect(t.status, t.stderr).toBe(0);
      expect(t.stdout).toContain('Epoch    1/1 Cost:');
    }
  });

  it('compile and check, which take a model module, say where an ONNX model goes', async () => {
    const model = join(out, 'for-compile.onnx');
    expect((await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', model)).status).toBe(0);
    for (const cmd of ['compile', 'check']) expectUserError(await graphc(cmd, model), /^graphc: .*for-compile\.onnx: an ONNX model, not a model module \(expected \.ts, \.mts, \.js or \.mjs\): graphc inspect, run and train take ONNX models$/);
    expectUserError(await graphc('compile', 'data/toy.csv'), /^graphc: data\/toy\.csv: not a model file \(expected \.ts, \.mts, \.js or \.mjs\)$/);
  });

  it('a file that is neither: both kinds named', async () => {
    for (const cmd of ['inspect', 'train']) expectUserError(await graphc(cmd, 'data/toy.csv'), /^graphc: data\/toy\.csv: not a model file \(expected \.ts, \.mts, \.js or \.mjs, or an \.onnx model\)$/);
  });
});
