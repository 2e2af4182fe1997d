/**
 * Bad model and data files as a user meets them: one line `graphc: ...` naming the file (and line where
 * there is one), exit 1, no stack trace. (Outputs refused: outputs-refused.test.ts; options:
 * bad-options.test.ts; what the system puts in the way: system-errors.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectUserError, graphc, toyLike } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

const { out, file } = scratchFolders();

describe('bad input', () => {
  const good = file('good.ts', toyLike(''));
  const csv = (name: string, text: string) => file(name, text);
  it('a missing model file', async () => expectUserError(await graphc('train', 'nope/missing.ts'), /nope\/missing\.ts: no such file/));
  it('a file that is not a model module', async () => {
    const f = file('notmodel.ts', 'export const x = 1;\n');
    expectUserError(await graphc('train', f, '--no-check'), /notmodel\.ts: not a graphc model/);
  });
  it('a file that does not parse', async () => {
    const f = file('syntax.ts', 'export default defineModel({ name: \n');
    expectUserError(await graphc('train', f), /syntax\.ts:\d+:\d+: .*expected|type error/);
  });
  it('a model that throws while its graph is built', async () => {
    const f = file('throws.ts', toyLike("if (x) throw new Error('no data for you');"));
    expectUserError(await graphc('train', f, '--no-check', '--data', csv('ok.csv', '1,2,0\n3,4,1\n')), /throws\.ts:\d+:\d+: the model threw while building its graph: no data for you/);
  });
  it('a shape error: check reports it with both shapes before anything runs', async () => {
    const f = file('shape.ts', toyLike("const W3 = param('W3', [3, 1], zeros()); x.matmul(W3);"));
    const r = await graphc('train', f, '--data', csv('ok2.csv', '1,2,0\n'));
    expectUserError(r, /shape\.ts: 1 type error/);
    expect(r.stderr).toMatch(/shape\.ts:\d+:\d+: shape error: matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    // and at build time without the check
    expectUserError(await graphc('train', f, '--no-check', '--data', csv('ok3.csv', '1,2,0\n')), /shape\.ts:\d+: MatMul: inner dimensions differ: \[N, 2\] · \[3, 1\]/);
  });
  it('a CSV with a ragged row', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('ragged.csv', '1,2,0\n3,4\n')), /ragged\.csv:2: expected 3 columns like the first row, got 2/));
  it('a CSV with a non-number', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('word.csv', '# comment\n1,2,0\n3,four,1\n')), /word\.csv:3: column 2 is not a number: 'four'/));
  it('a feature count that does not match the model', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('three.csv', '1,2,3,0\n')), /three\.csv: 3 feature column\(s\), but the input x \[N, 2\] \(.*\) takes 2 value\(s\) per row/));
  it('image rows that do not fill the model\'s input', async () => {
    const f = file('img.ts', `import { defineModel, input, param, zeros, crossEntropy } from 'graphc';
export default defineModel({
  name: 'img',
  build() {
    const x = input('x', ['N', 1, 7, 7]);
    const y = input('y', ['N']);
    const z = x.flatten(1).matmul(param('W', [49, 10], zeros()));
    return { loss: crossEntropy(z, y), predict: z };
  },
});
`);
    const digits = fileURLToPath(new URL('../../data/digits.csv', import.meta.url));
    expectUserError(await graphc('train', f, '--no-check', '--data', digits), /digits\.csv: 64 feature column\(s\), but the input x \[N, 1, 7, 7\] \(.*img\.ts:\d+\) takes 49 value\(s\) per row/);
  });
  it('NaN in the data', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('nan.csv', '1,2,0\nnan,1,1\n')), /nan\.csv:2: column 1: NaN is not a finite number/));
  it('run given a model file: what it is, not a corrupted protobuf', async () => expectUserError(await graphc('run', 'graphs/toy.ts', '--input', 'data/toy.csv'), /^graphc: graphs\/toy\.ts: a model file, not an ONNX model: graphc run takes an \.onnx file/));
  it('train given a data file for a model: the kinds it takes, .onnx among them', async () => {
    for (const extra of [[], ['--no-check']]) expectUserError(await graphc('train', 'data/toy.csv', ...extra), /^graphc: data\/toy\.csv: not a model file \(expected \.ts, \.mts, \.js or \.mjs, or an \.onnx model\)$/);
  });
  it('run: an index out of range in the values fed names the model file', async () => {
    const { onnx, DataType } = await import('../../export/proto.ts');
    const model = join(out, 'gather.onnx');
    const type = (elemType: number) => ({ tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }] } } });
    writeFileSync(model, onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Gather', input: ['W', 'ids'], output: ['emb'] }],
        initializer: [{ name: 'W', dims: [4, 3], dataType: DataType.FLOAT, floatData: [...Array(12).keys()] }],
        input: [{ name: 'ids', type: type(DataType.INT64) }],
        output: [{ name: 'emb', type: { tensorType: { elemType: DataType.FLOAT } } }],
      },
    }).finish());
    expect((await graphc('run', model, '--input', csv('ids.csv', '1\n3\n'))).status).toBe(0);
    expectUserError(await graphc('run', model, '--input', csv('ids7.csv', '1\n7\n')), /^graphc: .*gather\.onnx: Gather: index 7 is not an integer in \[-4, 4\) \(the axis has 4\)$/);
  });
  it('a missing data file', async () => expectUserError(await graphc('train', good, '--no-check', '--data', 'nowhere.csv'), /nowhere\.csv: no such file/));
  it('a byte-order mark and control bytes in a CSV: named and escaped', async () => {
    expectUserError(await graphc('train', good, '--no-check', '--data', csv('bom.csv', '\ufeff1,2,0\n')), /bom\.csv:1: column 1 is not a number: '\\ufeff1' \(the file starts with a byte-order mark/);
    const r = await graphc('train', good, '--no-check', '--data', csv('ctl.csv', '1,2\u001b[2J,0\n'));
    expectUserError(r, /ctl\.csv:1: column 2 is not a number: '2\\u001b\[2J'/);
    expect(r.stderr).not.toContain('\u001b');
  });
  it('check: a module with no default export, or one that is not a model, is not "no type errors"', async () => {
    expectUserError(await graphc('check', file('none.ts', 'export const x = 1;\n')), /none\.ts: not a graphc model: it exports nothing as default/);
    expectUserError(await graphc('check', file('num.ts', 'export default 42;\n')), /num\.ts: not a graphc model: its default export is 42, not a defineModel/);
    const r = await graphc('check', good);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/good\.ts: no type errors/);
  });
});
