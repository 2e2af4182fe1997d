/**
 * ONNX Flatten read by its one rule (compiler/ops/flatten.ts) against onnxruntime-node: every axis from
 * -rank to rank, the leading axes kept symbolic where they are the batch among 1s ([N, 1, 3, 4] at axis 2
 * is [N, 12]), and a product of symbols asks for the input's shape (the model is specialised on it).
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

sayIfMissing('python3-onnx (helper)', hasOnnx, 'flatten.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-flatten-'));

/** One Flatten of x (dims: numbers, or names for symbolic dims) at `axis`, opset 13. */
function model(name: string, dims: (number | string)[], axis: number): string {
  const file = join(dir, `${name}.onnx`);
  python(`
import json, sys, onnx
from onnx import helper as h, TensorProto as T
dims, axis = json.loads(sys.argv[2]), int(sys.argv[3])
g = h.make_graph([h.make_node('Flatten', ['x'], ['y'], name='f', axis=axis)], 'g',
                 [h.make_tensor_value_info('x', T.FLOAT, dims)], [h.make_empty_tensor_value_info('y')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file, JSON.stringify(dims), String(axis)]);
  return file;
}

const CASES: [(number | string)[], number, (number | string)[], number[]][] = [
  // input dims, axis, graphc's imported shape, the batch fed
  [[2, 3, 4], 0, [1, 24], [2, 3, 4]],
  [[2, 3, 4], 1, [2, 12], [2, 3, 4]],
  [[2, 3, 4], 2, [6, 4], [2, 3, 4]],
  [[2, 3, 4], 3, [24, 1], [2, 3, 4]],
  [[2, 3, 4], -1, [6, 4], [2, 3, 4]],
  [[2, 3, 4], -3, [1, 24], [2, 3, 4]],
  [['N', 3, 4], 1, ['N', 12], [5, 3, 4]],
  [['N', 1, 3, 4], 2, ['N', 12], [2, 1, 3, 4]],
  [['N', 1, 1, 4], -1, ['N', 4], [3, 1, 1, 4]],
];

describe.skipIf(!hasOnnx)('Flatten import against onnxruntime', () => {
  for (const [i, [dims, axis, shape, fed]] of CASES.entries())
    it(`[${dims}] at axis ${axis} is [${shape}]`, async () => {
      const file = model(`f${i}`, dims, axis);
      const m = importOnnx(new Uint8Array(readFileSync(file)));
      expect(m.graph.outputs[0].node.shape).toEqual(shape);
      const x = randoms(fed.reduce((p, d) => p * d, 1), 3 + i);
      const ours = runGraph(m.graph, { x: { data: x, shape: fed } }).y;
      const s = await ort.InferenceSession.create(file);
      const { y } = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), fed) });
      expect(y.dims.reduce((p, d) => p * d, 1)).toBe(ours.length);
      expect(Array.from(ours)).toEqual(Array.from(y.data as Float32Array, Number));
    });

  it('a product of symbolic leading dims asks, in one line, for the shape of x (the model is specialised on it)', () => {
    refused(new Uint8Array(readFileSync(model('sym2', ['N', 'M', 4], 2))), /node 'f' \(Flatten, opset 13\): Flatten: axis 2 past the symbolic leading dimensions of \[N, M, 4\]; it comes from the shape of graph input 'x', known at run time: graphc specialises the model on it/);
  });
  it('an axis past the rank is refused in one line', () => {
    refused(new Uint8Array(readFileSync(model('far', [2, 3], 3))), /node 'f' \(Flatten, opset 13\): Flatten: axis 3 out of range for rank 2/);
  });
});
