/**
 * `graphc run` on models whose graph inputs decide a shape or a mode (OneHot's depth, Range's operands,
 * Dropout's training_mode): the model is specialised on the values fed, the outputs equal onnxruntime-node's,
 * `--explain` says what it specialised on and why, and a value graphc cannot compute is one line, exit 1.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx, DataType } from '../../export/proto.ts';
import { writeNpy } from '../../cli/npy.ts';
import { graphc } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-specialized-'));
type In = { name: string; shape: number[]; type?: number };

function model(name: string, opset: number, node: object[], inputs: In[], outputs: string[]): string {
  const file = join(dir, `${name}.onnx`);
  writeFileSync(file, onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node,
      input: inputs.map((x) => ({ name: x.name, type: { tensorType: { elemType: x.type ?? DataType.FLOAT, shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } })),
      output: outputs.map((n) => ({ name: n, type: { tensorType: { elemType: DataType.FLOAT } } })),
    },
  }).finish());
  return file;
}
const npy = (name: string, shape: number[], data: number[], kind: 'float' | 'int' | 'bool' = 'float') => {
  const file = join(dir, `${name}.npy`);
  writeFileSync(file, writeNpy(shape, data, kind));
  return file;
};
const tensor = (shape: number[], data: number[], kind: 'float' | 'int' | 'bool' = 'float') =>
  kind === 'int' ? new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), shape) : kind === 'bool' ? new ort.Tensor('bool', Uint8Array.from(data), shape) : new ort.Tensor('float32', Float32Array.from(data), shape);

describe('graphc run specialises a model on the graph inputs that decide its shapes', () => {
  it('OneHot with its depth a graph input, at two depths: onnxruntime\'s outputs; --explain names the input', async () => {
    const file = model('onehot', 11, [{ name: 'o', opType: 'OneHot', input: ['i', 'depth', 'values'], output: ['y'] }],
      [{ name: 'i', shape: [4], type: DataType.INT64 }, { name: 'depth', shape: [] }, { name: 'values', shape: [2] }], ['y']);
    const s = await ort.InferenceSession.create(file);
    for (const depth of [3, 6]) {
      const i = [0, -1, 2, 5], values = [0.5, 2];
      const r = await graphc(['run', file, '--input', `i=${npy(`i${depth}`, [4], i, 'int')}`, '--input', `depth=${npy(`d${depth}`, [], [depth])}`, '--input', `values=${npy(`v${depth}`, [2], values)}`, '--json', '--explain'], { timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const ours = JSON.parse(r.stdout).outputs.y;
      const { y } = await s.run({ i: tensor([4], i, 'int'), depth: tensor([], [depth]), values: tensor([2], values) });
      expect(ours.shape).toEqual([...y.dims]);
      expect(ours.data).toEqual(Array.from(y.data as Float32Array));
      expect(r.stderr).toMatch(/^specialisation: the model is imported once per distinct value of 'depth', 'values'/);
      expect(r.stderr).toContain("'depth': node 'o' (OneHot, opset 11): the depth decides the output's shape; input 1 comes from graph input 'depth'");
    }
  });

  it('Range of float graph inputs: onnxruntime\'s values', async () => {
    const file = model('range', 11, [{ name: 'r', opType: 'Range', input: ['a', 'b', 'c'], output: ['y'] }], [{ name: 'a', shape: [] }, { name: 'b', shape: [] }, { name: 'c', shape: [] }], ['y']);
    const s = await ort.InferenceSession.create(file);
    const [a, b, c] = [0.25, -3, -0.7];
    const r = await graphc(['run', file, '--input', `a=${npy('a', [], [a])}`, '--input', `b=${npy('b', [], [b])}`, '--input', `c=${npy('c', [], [c])}`, '--json'], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const { y } = await s.run({ a: tensor([], [a]), b: tensor([], [b]), c: tensor([], [c]) });
    const ours = JSON.parse(r.stdout).outputs.y;
    expect(ours.shape).toEqual([...y.dims]);
    expect(ours.data.length).toBe(y.data.length);
    (y.data as Float32Array).forEach((v, k) => expect(Math.abs(ours.data[k] - v)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
  });

  it('Dropout in training mode with a ratio above 0 is one line, exit 1; with training_mode false, onnxruntime\'s output', async () => {
    const file = model('dropout', 13, [{ name: 'n', opType: 'Dropout', input: ['x', 'r', 't'], output: ['y'] }],
      [{ name: 'x', shape: [3] }, { name: 'r', shape: [] }, { name: 't', shape: [], type: DataType.BOOL }], ['y']);
    const x = npy('x', [3], [1, -2, 3]), r = npy('r', [], [0.5]);
    const off = await graphc(['run', file, '--input', `x=${x}`, '--input', `r=${r}`, '--input', `t=${npy('t0', [], [0], 'bool')}`, '--json'], { timeout: 60_000 });
    expect(off.status, off.stderr).toBe(0);
    const { y } = await (await ort.InferenceSession.create(file)).run({ x: tensor([3], [1, -2, 3]), r: tensor([], [0.5]), t: tensor([], [0], 'bool') });
    expect(JSON.parse(off.stdout).outputs.y.data).toEqual(Array.from(y.data as Float32Array));
    const on = await graphc(['run', file, '--input', `x=${x}`, '--input', `r=${r}`, '--input', `t=${npy('t1', [], [1], 'bool')}`], { timeout: 60_000 });
    expect(on.status).toBe(1);
    expect(on.stderr).toMatch(/^graphc: .*dropout\.onnx: node 'n' \(Dropout, opset 13\): training_mode = true with ratio 0\.5 \(the mask is random[^\n]*\n$/);
  });
});
