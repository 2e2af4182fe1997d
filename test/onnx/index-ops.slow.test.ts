/**
 * TopK, GatherElements, ScatterElements, GatherND, ScatterND and EyeLike exported by graphc and run in
 * onnxruntime-node against graphc's kernels, and TopK against NumPy's stable sort (ONNX's reference:
 * among equal values the lower index first), on data with many ties; a reduction the file's opset does
 * not define refused by name.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { exportGraph } from '../../export/index.ts';
import { hasOnnx, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

const ints = (values: number[], shape: number[]) => B.mk('Const', [], { value: Float32Array.from(values), shape, dtype: 'i64' });
const input = (name: string, shape: number[]) => B.mk('Input', [], { name, shape, dtype: 'f32' });
const topk = (x: Node, axis: number, k: number, largest: boolean): Node[] => {
  const i = B.mk('TopKIndices', [x], { axis, k, largest });
  return [B.mk('GatherElements', [x, i], { axis }), i];
};

interface Case { label: string; inputs: Record<string, number[]>; outputs: (ins: Record<string, Node>) => Node[] }
const cases: Case[] = [
  { label: 'TopK k 3 largest along axis 1, ties', inputs: { x: [3, 6, 2] }, outputs: ({ x }) => topk(x, 1, 3, true) },
  { label: 'TopK k 2 smallest along axis 0, ties', inputs: { x: [5, 4] }, outputs: ({ x }) => topk(x, 0, 2, false) },
  { label: 'ScatterElements none along axis 1, negative indices', inputs: { x: [3, 4], u: [3, 2] }, outputs: ({ x, u }) => [B.mk('ScatterElements', [x, ints([1, -1, 0, 2, 3, 1], [3, 2]), u], { axis: 1, reduction: 'none' })] },
  { label: 'ScatterElements add along axis 0, repeated indices', inputs: { x: [3, 2], u: [2, 2] }, outputs: ({ x, u }) => [B.mk('ScatterElements', [x, ints([1, 1, 1, 0], [2, 2]), u], { axis: 0, reduction: 'add' })] },
  { label: 'ScatterElements mul along axis 1', inputs: { x: [2, 3], u: [2, 2] }, outputs: ({ x, u }) => [B.mk('ScatterElements', [x, ints([2, 2, 0, 1], [2, 2]), u], { axis: 1, reduction: 'mul' })] },
  { label: 'GatherND batch_dims 1', inputs: { x: [2, 3, 4] }, outputs: ({ x }) => [B.mk('GatherND', [x, ints([2, 0, -1, 1], [2, 2, 1])], { batch_dims: 1 })] },
  { label: 'GatherND tuples of 2', inputs: { x: [3, 4, 2] }, outputs: ({ x }) => [B.mk('GatherND', [x, ints([1, 2, 0, -1, 2, 3], [3, 2])], { batch_dims: 0 })] },
  { label: 'ScatterND none, rows', inputs: { x: [4, 3], u: [2, 3] }, outputs: ({ x, u }) => [B.mk('ScatterND', [x, ints([2, -4], [2, 1]), u], { reduction: 'none' })] },
  { label: 'ScatterND add, repeated elements', inputs: { x: [2, 3], u: [3] }, outputs: ({ x, u }) => [B.mk('ScatterND', [x, ints([1, 2, 0, 0, 1, 2], [3, 2]), u], { reduction: 'add' })] },
  { label: 'EyeLike k -1', inputs: { x: [4, 3] }, outputs: ({ x }) => [B.mk('EyeLike', [x], { k: -1 })] },
];

const NUMPY_TOPK = `
import json, sys, numpy as np
for c in json.loads(sys.argv[1]):
    x = np.array(c['data'], dtype=np.float32).reshape(c['shape'])
    order = np.argsort(-x if c['largest'] else x, axis=c['axis'], kind='stable')
    i = np.take(order, range(c['k']), axis=c['axis'])
    print(json.dumps([np.take_along_axis(x, i, axis=c['axis']).flatten().tolist(), i.flatten().tolist()]))
`;

describe.skipIf(!hasOnnx)('index ops: graphc, its export in onnxruntime, NumPy for TopK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-index-ops-'));
  // small integers, so that equal values are frequent
  const feed = (c: Case, k: number) => Object.fromEntries(Object.entries(c.inputs).map(([name, shape], j) => [name, { data: randoms(shape.reduce((p, d) => p * d, 1), 7 + k * 3 + j, -3, 3).map((v) => Math.round(v) + 0), shape }]));
  const feeds = cases.map(feed);
  const numpy = python(NUMPY_TOPK, [JSON.stringify([
    { data: feeds[0].x.data, shape: [3, 6, 2], axis: 1, k: 3, largest: true },
    { data: feeds[1].x.data, shape: [5, 4], axis: 0, k: 2, largest: false },
  ])]).trim().split('\n').map((l) => JSON.parse(l) as number[][]);
  cases.forEach((c, k) => {
    it(c.label, async () => {
      const g = inLeafScope(() => {
        const ins = Object.fromEntries(Object.entries(c.inputs).map(([n, s]) => [n, input(n, s)]));
        return new Graph(c.outputs(ins).map((node, j) => ({ name: `y${j}`, node })));
      });
      const ours = runGraph(g, feeds[k]);
      const file = join(dir, `c${k}.onnx`);
      writeFileSync(file, exportGraph(g, { mode: 'inference', name: 'index' }));
      const s = await ort.InferenceSession.create(file);
      const theirs = await s.run(Object.fromEntries(Object.entries(feeds[k]).map(([n, f]) => [n, new ort.Tensor('float32', Float32Array.from(f.data), f.shape)])));
      g.outputs.forEach((o, j) => {
        expect([...theirs[o.name].dims]).toEqual(o.node.shape);
        expect(Array.from(ours[o.name]), `onnxruntime ${o.name}`).toEqual(Array.from(theirs[o.name].data as ArrayLike<number | bigint>, Number));
        if (k < 2) expect(Array.from(ours[o.name]), `NumPy ${o.name}`).toEqual(numpy[k][j]);
      });
    });
  });

  it('a place written twice with reduction none stops the run, never a value picked silently', () => {
    for (const [op, idx, attrs, us] of [['ScatterElements', ints([1, 1], [2, 1]), { axis: 0, reduction: 'none' }, [2, 1]], ['ScatterND', ints([0, 0], [2, 1]), { reduction: 'none' }, [2, 3]]] as const) {
      const g = inLeafScope(() => new Graph([{ name: 'y', node: B.mk(op, [input('x', [3, 3]), idx, input('u', [...us])], attrs) }]));
      expect(() => runGraph(g, { x: { data: Array(9).fill(1), shape: [3, 3] }, u: { data: Array(us[0] * us[1]).fill(2), shape: [...us] } }), op).toThrow(/written before, with reduction none/);
    }
  });

  it('ScatterElements with a reduction its opset does not define is refused by name', () => {
    const file = join(dir, 'bad.onnx');
    python(`
import onnx, sys
from onnx import helper as h, TensorProto as T
n = h.make_node('ScatterElements', ['x', 'i', 'u'], ['y'], name='n0', reduction='max')
g = h.make_graph([n], 'g', [h.make_tensor_value_info('x', T.FLOAT, [2, 3]), h.make_tensor_value_info('i', T.INT64, [2, 1]), h.make_tensor_value_info('u', T.FLOAT, [2, 1])], [h.make_empty_tensor_value_info('y')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 16)]); m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file]);
    refused(new Uint8Array(readFileSync(file)), /^node 'n0' \(ScatterElements, opset 16\): attribute 'reduction' 'max' \(opset 16 allows none, add, mul\)/);
  });
});
