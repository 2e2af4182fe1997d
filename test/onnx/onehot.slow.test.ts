/**
 * OneHot of indices of any rank against onnxruntime-node: the classes inserted at each axis (default last,
 * negative counted from the end), negative indices counted from depth's end (opset 11), indices out of
 * range giving a row of `off`, off and on other than 0 and 1. Depth and values are initializers.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'onehot.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-onehot-'));

/** OneHot(i, depth, values) at opset 11, i int64 of `dims` a graph input; `axis` absent when undefined. */
function model(name: string, dims: (number | string)[], depth: number, values: number[], axis?: number): string {
  const file = join(dir, `${name}.onnx`);
  python(`
import json, sys, onnx
from onnx import helper as h, TensorProto as T
dims, depth, values, axis = json.loads(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5])
kw = {} if axis is None else {'axis': axis}
g = h.make_graph([h.make_node('OneHot', ['i', 'depth', 'values'], ['y'], name='o', **kw)], 'g',
                 [h.make_tensor_value_info('i', T.INT64, dims)], [h.make_empty_tensor_value_info('y')],
                 [h.make_tensor('depth', T.INT64, [], [depth]), h.make_tensor('values', T.FLOAT, [2], values)])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 11)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file, JSON.stringify(dims), String(depth), JSON.stringify(values), JSON.stringify(axis ?? null)]);
  return file;
}

const CASES: [number[], number, number[], number | undefined][] = [
  // indices' shape, depth, [off, on], axis
  [[4], 5, [0, 1], undefined],
  [[4], 5, [0, 1], 0],
  [[2, 3], 4, [0, 1], undefined],
  [[2, 3], 4, [-1, 2], 0],
  [[2, 3], 4, [0, 1], 1],
  [[2, 3], 4, [0.5, 3], -2],
  [[2, 3, 2], 3, [0, 1], -3],
  [[5], 6, [1, 0], -1],
];

describe.skipIf(!hasOnnx)('OneHot of indices of any rank, against onnxruntime', () => {
  for (const [k, [dims, depth, values, axis]] of CASES.entries())
    it(`indices [${dims}], depth ${depth}, values [${values}], axis ${axis ?? 'default'}`, async () => {
      const file = model(`o${k}`, dims, depth, values, axis);
      const count = dims.reduce((p, d) => p * d, 1);
      // indices in [-depth - 1, depth + 1): the negative ones from the end, one past either end out of range
      const i = randoms(count, 3 + k, -depth - 1, depth + 1).map(Math.floor);
      const m = importOnnx(new Uint8Array(readFileSync(file)));
      const ours = runGraph(m.graph, { i: { data: i, shape: dims } }).y;
      const s = await ort.InferenceSession.create(file);
      const { y } = await s.run({ i: new ort.Tensor('int64', BigInt64Array.from(i.map(BigInt)), dims) });
      expect(m.graph.outputs[0].node.shape).toEqual([...y.dims]);
      expect(Array.from(ours)).toEqual(Array.from(y.data as Float32Array, Number));
    });

  it('an axis past the rank, scalar indices and indices of a symbolic shape above 1-D are refused in one line', () => {
    refused(new Uint8Array(readFileSync(model('scalar', [], 4, [0, 1]))), /^node 'o' \(OneHot, opset 11\): scalar indices \(ONNX takes indices of rank 1 or more\)$/);
    refused(new Uint8Array(readFileSync(model('far', [2, 3], 4, [0, 1], 3))), /^node 'o' \(OneHot, opset 11\): axis 3 for indices of rank 2$/);
    refused(new Uint8Array(readFileSync(model('sym', ['N', 3], 4, [0, 1]))), /^node 'o' \(OneHot, opset 11\): indices of the symbolic shape \[N, 3\] \(of more than 1 dim\)$/);
  });
});
