/**
 * GatherElements with indices computed when the model runs (a graph input here, not a constant) against
 * onnxruntime-node: each axis, negative indices, indices smaller than the data on the other axes. An index
 * out of range stops the run with an error, as in onnxruntime, never a value read from elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { randoms, runGraph } from '../support/run.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'gather-elements.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-gather-elements-'));

/** GatherElements(x, i) with x float [xs] and i int64 [is] both graph inputs, at opset 13. */
function model(name: string, xs: (number | string)[], is: (number | string)[], axis: number): string {
  const file = join(dir, `${name}.onnx`);
  python(`
import json, sys, onnx
from onnx import helper as h, TensorProto as T
xs, is_, axis = json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
g = h.make_graph([h.make_node('GatherElements', ['x', 'i'], ['y'], name='g', axis=axis)], 'g',
                 [h.make_tensor_value_info('x', T.FLOAT, xs), h.make_tensor_value_info('i', T.INT64, is_)], [h.make_empty_tensor_value_info('y')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file, JSON.stringify(xs), JSON.stringify(is), String(axis)]);
  return file;
}

const CASES: [number[], number[], number][] = [
  [[3, 4], [3, 4], 1],
  [[3, 4], [2, 4], 0],
  [[3, 4], [3, 2], -1],
  [[2, 3, 5], [2, 2, 5], 1],
  [[2, 3, 5], [1, 3, 4], 2],
];

describe.skipIf(!hasOnnx)('GatherElements with indices computed at run time, against onnxruntime', () => {
  for (const [k, [xs, is, axis]] of CASES.entries())
    it(`x [${xs}], indices [${is}], axis ${axis}`, async () => {
      const file = model(`g${k}`, xs, is, axis);
      const n = xs[axis < 0 ? axis + xs.length : axis];
      const x = randoms(xs.reduce((p, d) => p * d, 1), 11 + k);
      // every index in [-n, n): negative ones count from the end
      const i = randoms(is.reduce((p, d) => p * d, 1), 5 + k, -n, n).map(Math.floor);
      const m = importOnnx(new Uint8Array(readFileSync(file)));
      expect(m.graph.outputs[0].node.shape).toEqual(is);
      const ours = runGraph(m.graph, { x: { data: x, shape: xs }, i: { data: i, shape: is } }).y;
      const s = await ort.InferenceSession.create(file);
      const { y } = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), xs), i: new ort.Tensor('int64', BigInt64Array.from(i.map(BigInt)), is) });
      expect([...y.dims]).toEqual(is);
      expect(Array.from(ours)).toEqual(Array.from(y.data as Float32Array, Number));
    });

  it('an index out of range stops the run, in onnxruntime and in graphc', async () => {
    const file = model('out', [3, 4], [3, 4], 1);
    const x = randoms(12, 1);
    for (const bad of [4, -5]) {
      const i = Array.from({ length: 12 }, (_, k) => (k === 5 ? bad : k % 4));
      // (onnxruntime's own log of the failure is silenced: the rejection is what is checked)
      const s = await ort.InferenceSession.create(file, { logSeverityLevel: 4 });
      await expect(s.run({ x: new ort.Tensor('float32', Float32Array.from(x), [3, 4]), i: new ort.Tensor('int64', BigInt64Array.from(i.map(BigInt)), [3, 4]) })).rejects.toThrow();
      const m = importOnnx(new Uint8Array(readFileSync(file)));
      expect(() => runGraph(m.graph, { x: { data: x, shape: [3, 4] }, i: { data: i, shape: [3, 4] } })).toThrow(`GatherElements: index ${bad} is not an integer in [-4, 4) (the axis has 4)`);
    }
  });

  it('data and indices of a symbolic batch, as onnxruntime reads them', async () => {
    const file = model('sym', ['N', 4], ['N', 2], 1);
    const m = importOnnx(new Uint8Array(readFileSync(file)));
    expect(m.graph.outputs[0].node.shape).toEqual(['N', 2]);
    const x = randoms(12, 3), i = [3, -4, 0, 1, -1, 2];
    const ours = runGraph(m.graph, { x: { data: x, shape: [3, 4] }, i: { data: i, shape: [3, 2] } }).y;
    const s = await ort.InferenceSession.create(file);
    const { y } = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), [3, 4]), i: new ort.Tensor('int64', BigInt64Array.from(i.map(BigInt)), [3, 2]) });
    expect(Array.from(ours)).toEqual(Array.from(y.data as Float32Array, Number));
  });

  it('indices known at import: one out of range is refused at import, naming the op and the index', () => {
    const file = join(dir, 'const.onnx');
    python(`
import sys, onnx
from onnx import helper as h, TensorProto as T
i = h.make_tensor('i', T.INT64, [2, 2], [0, 1, 2, -3])
g = h.make_graph([h.make_node('GatherElements', ['x', 'i'], ['y'], name='g', axis=0)], 'g',
                 [h.make_tensor_value_info('x', T.FLOAT, [2, 3])], [h.make_empty_tensor_value_info('y')], [i])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file]);
    expect(() => importOnnx(new Uint8Array(readFileSync(file)))).toThrow(/\(GatherElements\b.*\): GatherElements: index 2 is not an integer in \[-2, 2\) \(the axis has 2\)$/);
  });
});
