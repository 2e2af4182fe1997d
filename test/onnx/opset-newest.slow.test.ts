/**
 * The opset-18-and-later forms of the imported ops against onnxruntime-node: one-node models written by
 * python3-onnx's helper at opsets 18 to NEWEST_OPSET (the reductions' axes as an input, Split's
 * num_outputs, Pad's axes, Cast's saturate, AveragePool's dilations, and the versions that only widen the
 * types), run in onnxruntime and in graphc on the same inputs. The forms graphc does not implement are
 * refused in one line naming the node, op, opset and what is unsupported.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { NEWEST_OPSET } from '../../export/import-ops.ts';
import { refused } from '../support/refused.ts';
import { randoms, runGraph } from '../support/run.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'opset-newest.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-opset-newest-'));

type Attr = number | string | number[];
interface Case { file: string; opset: number; op: string; attrs?: Record<string, Attr | undefined>; x: number[][]; ints?: [string, number[]][]; outputs?: number }

/** Writes each case as a one-node model: float inputs x0, x1..., int64 initializers (a '' name: an optional input left out), `outputs` outputs. */
const WRITE = `
import json, sys
import onnx
from onnx import helper as h, TensorProto as T
for c in json.loads(sys.argv[1]):
    xs = [h.make_tensor_value_info('x%d' % i, T.FLOAT, s) for i, s in enumerate(c['x'])]
    inits = [h.make_tensor(n, T.INT64, [len(v)], v) for n, v in c.get('ints', []) if n]
    ins = ['x%d' % i for i in range(len(c['x']))] + [n for n, _ in c.get('ints', [])]
    outs = ['y%d' % i for i in range(c.get('outputs', 1))]
    node = h.make_node(c['op'], ins, outs, name='n0', **c.get('attrs', {}))
    g = h.make_graph([node], 'g', xs, [h.make_empty_tensor_value_info(o) for o in outs], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', c['opset'])])
    m.ir_version = 8
    onnx.save(m, c['file'])
`;

const N = NEWEST_OPSET;
const REDUCE = ['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'];
const cases: Omit<Case, 'file'>[] = [
  ...REDUCE.flatMap((op) => [18, N].flatMap((opset) => [
    { opset, op, x: [[2, 3, 4]], ints: [['axes', [-1]]] as [string, number[]][], attrs: { keepdims: 0 } },
    { opset, op, x: [[2, 3, 4]], ints: [['axes', [0, 2]]] as [string, number[]][] },
    { opset, op, x: [[2, 3, 4]], attrs: { keepdims: 0 } },
    { opset, op, x: [[2, 3, 4]], attrs: { noop_with_empty_axes: 1 } },
  ])),
  ...[18, N].flatMap((opset) => [
    { opset, op: 'Split', x: [[2, 7]], attrs: { axis: 1, num_outputs: 3 }, outputs: 3 },
    { opset, op: 'Split', x: [[6, 2]], attrs: { num_outputs: 2 }, outputs: 2 },
    { opset, op: 'Split', x: [[2, 5]], ints: [['split', [1, 4]]] as [string, number[]][], attrs: { axis: -1 }, outputs: 2 },
    { opset, op: 'Pad', x: [[2, 3]], ints: [['pads', [1, 2]], ['', []], ['axes', [-1]]] as [string, number[]][] },
    { opset, op: 'Pad', x: [[2, 3, 2]], ints: [['pads', [1, 0, 2, 1]], ['', []], ['axes', [0, 2]]] as [string, number[]][], attrs: { mode: 'edge' } },
    { opset, op: 'Pad', x: [[3, 3]], ints: [['pads', [0, 1, 0, 2]]] as [string, number[]][], attrs: { mode: 'reflect' } },
  ]),
  { opset: 19, op: 'Cast', x: [[2, 3]], attrs: { to: 1, saturate: 1 } },
  { opset: 19, op: 'AveragePool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [2, 2], dilations: [1, 1], strides: [2, 2] } },
  { opset: 22, op: 'AveragePool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 } },
  { opset: 22, op: 'MaxPool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { opset: 22, op: 'Conv', x: [[1, 2, 5, 5], [3, 2, 3, 3]], attrs: { pads: [1, 1, 1, 1] } },
  { opset: 22, op: 'GlobalAveragePool', x: [[1, 2, 3, 3]] },
  ...['Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Dropout'].map((op) => ({ opset: 22, op, x: [[2, 3]] })),
  ...[N].flatMap((opset) => [
    { opset, op: 'Identity', x: [[2, 3]] },
    { opset, op: 'Transpose', x: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
    { opset, op: 'Flatten', x: [[2, 3, 4]], attrs: { axis: 2 } },
    { opset, op: 'Reshape', x: [[2, 3, 4]], ints: [['shape', [0, -1]]] as [string, number[]][] },
    { opset, op: 'Unsqueeze', x: [[2, 3]], ints: [['axes', [-1, 0]]] as [string, number[]][] },
    { opset, op: 'Squeeze', x: [[2, 1, 3]], ints: [['axes', [1]]] as [string, number[]][] },
    { opset, op: 'Shape', x: [[2, 3, 4]], attrs: { start: 1 } },
    { opset, op: 'Size', x: [[2, 3, 4]] },
    { opset, op: 'Equal', x: [[2, 3], [2, 3]] },
    { opset, op: 'ConstantOfShape', x: [], ints: [['shape', [2, 3]]] as [string, number[]][] },
  ]),
];

const named: Case[] = cases.map((c, i) => ({ ...c, file: join(dir, `${i}-${c.op}-${c.opset}.onnx`) }));
if (hasOnnx) python(WRITE, [JSON.stringify(named)]);

describe.skipIf(!hasOnnx)(`opset 18 to ${N} forms, against onnxruntime`, () => {
  for (const c of named)
    it(`${c.op} at opset ${c.opset} ${JSON.stringify({ ...c.attrs, ...Object.fromEntries((c.ints ?? []).filter(([n]) => n)) })}`, async () => {
      const m = importOnnx(new Uint8Array(readFileSync(c.file)));
      expect(m.opset).toBe(c.opset);
      // positive inputs for the logarithmic reductions, of both signs elsewhere; the equality's operands equal in part
      const lo = c.op === 'ReduceLogSum' ? 0.5 : -2;
      const feeds = Object.fromEntries(c.x.map((s, i) => [`x${i}`, { data: randoms(s.reduce((p, d) => p * d, 1), 7 + i, lo, 2).map((v, k) => (c.op === 'Equal' && k % 2 ? 1 : v)), shape: s }]));
      const ours = runGraph(m.graph, feeds);
      const s = await ort.InferenceSession.create(c.file);
      const theirs = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor('float32', Float32Array.from(f.data), f.shape)])));
      for (const [name, t] of Object.entries(theirs)) {
        const want = Array.from(t.data as ArrayLike<number | bigint | boolean>, Number);
        const got = Array.from(ours[name]);
        expect(got.length, name).toBe(want.length);
        got.forEach((v, i) => expect(Math.abs(v - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
        // the shape graphc infers is onnxruntime's
        const out = m.graph.outputs.find((o) => o.name === name)!;
        expect(out.node.shape, name).toEqual([...t.dims]);
      }
    });
});

const REFUSED: [Omit<Case, 'file'>, RegExp][] = [
  [{ opset: 19, op: 'Pad', x: [[2, 3]], ints: [['pads', [1, 1, 1, 1]]], attrs: { mode: 'wrap' } }, /^node 'n0' \(Pad, opset 19\): Pad mode 'wrap'$/],
  [{ opset: 19, op: 'AveragePool', x: [[1, 1, 5, 5]], attrs: { kernel_shape: [2, 2], dilations: [2, 2] } }, /^node 'n0' \(AveragePool, opset 19\): AveragePool: dilations other than 1 are not imported$/],
  [{ opset: 13, op: 'Split', x: [[2, 6]], attrs: { axis: 1, num_outputs: 2 }, outputs: 2 }, /^node 'n0' \(Split, opset 13\): attribute 'num_outputs' not supported$/],
  [{ opset: 17, op: 'ReduceMax', x: [[2, 3]], ints: [['axes', [1]]] }, /^node 'n0' \(ReduceMax, opset 17\): input 1 \('axes'\) not supported$/],
  [{ opset: 18, op: 'ReduceMax', x: [[2, 3]], attrs: { axes: [1] } }, /^node 'n0' \(ReduceMax, opset 18\): attribute 'axes' not supported$/],
  [{ opset: 17, op: 'Pad', x: [[2, 3]], ints: [['pads', [0, 1, 0, 1]], ['', []], ['axes', [1]]] }, /^node 'n0' \(Pad, opset 17\): input 3 \('axes'\) not supported$/],
  [{ opset: 19, op: 'Cast', x: [[2, 3]], attrs: { to: 17, saturate: 0 } }, /^node 'n0' \(Cast, opset 19\): Cast to ONNX type 17 /],
  [{ opset: N + 1, op: 'Relu', x: [[2]] }, new RegExp(`^opset ${N + 1}: graphc imports opsets up to ${N}$`)],
];

describe.skipIf(!hasOnnx)('forms graphc does not implement are refused in one line', () => {
  const files = REFUSED.map(([c], i) => ({ ...c, file: join(dir, `refused-${i}.onnx`) }));
  if (hasOnnx) python(WRITE, [JSON.stringify(files)]);
  REFUSED.forEach(([c, message], i) => it(`${c.op} at opset ${c.opset}: ${message.source}`, () => refused(new Uint8Array(readFileSync(files[i].file)), message)));
});
